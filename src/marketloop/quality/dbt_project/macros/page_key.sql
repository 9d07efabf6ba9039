{#- The page key that joins GA4, Search Console, the crawl and HubSpot first-touch URLs.

    Rule: lower-case host without user info, a leading "www.", a default port (80, 443) or a
    trailing dot, followed by the path with its query string, fragment and trailing slashes
    removed ("/" for the home page) and its percent-escapes decoded (UTF-8), so /caf%C3%A9 and
    /café get one key. The scheme is dropped, and so is the "//" of a scheme-relative URL.
    Paths keep their case (servers treat them as case-sensitive).
        https://WWW.Example.com/Blog/?utm_source=x  ->  example.com/Blog
        GA4 host_name "www.example.com" + page_path "/"  ->  example.com/
        //example.com/caf%C3%A9/  ->  example.com/café
    Only anchored patterns are used, and url_decode() behaves the same on DuckDB and PostgreSQL
    (an escape that is not valid UTF-8 leaves the path as it is), so the keys are the same. -#}

{% macro page_key(url) -%}
  {%- set rest = "regexp_replace(regexp_replace(" ~ url ~ ", '^([A-Za-z][A-Za-z0-9+.-]*:)?//', ''), '[?#].*$', '')" -%}
  {{ page_key_from_parts("regexp_replace(" ~ rest ~ ", '/.*$', '')", "regexp_replace(" ~ rest ~ ", '^[^/]*', '')") }}
{%- endmacro %}

{% macro page_key_from_parts(host, path) -%}
  {%- set bare_host = "regexp_replace(regexp_replace(regexp_replace(lower(" ~ host ~ "), '^.*@', ''), ':(80|443)$', ''), '[.]$', '')" -%}
  case when {{ host }} is null or {{ path }} is null then null else
  regexp_replace({{ bare_host }}, '^www[.]', '')
  || coalesce(nullif(regexp_replace({{ url_decode("regexp_replace(" ~ path ~ ", '[?#].*$', '')") }}, '/+$', ''), ''), '/')
  end
{%- endmacro %}

{#- Percent-decoding (UTF-8); a value whose escapes do not decode to UTF-8 is kept as is. -#}
{% macro url_decode(value) -%}
  {{ return(adapter.dispatch('url_decode', 'marketloop')(value)) }}
{%- endmacro %}

{#- other adapters (untested): the path keeps its percent-escapes -#}
{% macro default__url_decode(value) -%}
  {{ value }}
{%- endmacro %}

{% macro duckdb__url_decode(value) -%}
  coalesce(try(url_decode({{ value }})), {{ value }})
{%- endmacro %}

{% macro postgres__url_decode(value) -%}
  {{ url_decode_schema() }}.marketloop_url_decode({{ value }})
{%- endmacro %}

{% macro url_decode_schema() -%}
  {{ return(adapter.quote(target.schema ~ '_staging')) }}
{%- endmacro %}

{#- on-run-start: PostgreSQL has no url_decode, so the project creates one beside the staging
    views that use it (DuckDB has it built in). -#}
{% macro create_url_decode() -%}
  {{ return(adapter.dispatch('create_url_decode', 'marketloop')()) }}
{%- endmacro %}

{% macro default__create_url_decode() -%}
  select 1
{%- endmacro %}

{% macro postgres__create_url_decode() -%}
create schema if not exists {{ url_decode_schema() }};
create or replace function {{ url_decode_schema() }}.marketloop_url_decode(value text)
returns text language plpgsql immutable strict as $fn$
declare
    decoded bytea := '';
    piece text;
begin
    for piece in
        select m.parts[1]
        from regexp_matches(value, '(%[0-9A-Fa-f]{2}|[^%]+|%)', 'g') with ordinality as m(parts, n)
        order by m.n
    loop
        if piece ~ '^%[0-9A-Fa-f]{2}$' then
            decoded := decoded || decode(substr(piece, 2), 'hex');
        else
            decoded := decoded || convert_to(piece, 'UTF8');
        end if;
    end loop;
    return convert_from(decoded, 'UTF8');
exception when others then
    return value;
end
$fn$
{%- endmacro %}
