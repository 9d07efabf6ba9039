{#- The page key that joins GA4, Search Console, the crawl and HubSpot first-touch URLs.

    Rule: lower-case host without a leading "www." and without a default port, followed by the
    path with its query string, fragment and trailing slashes removed ("/" for the home page).
    The scheme is dropped. Paths keep their case (servers treat them as case-sensitive).
        https://WWW.Example.com/Blog/?utm_source=x  ->  example.com/Blog
        GA4 host_name "www.example.com" + page_path "/"  ->  example.com/
    Only anchored patterns are used, so the macro behaves the same on DuckDB and PostgreSQL. -#}

{% macro page_key(url) -%}
  {%- set rest = "regexp_replace(regexp_replace(" ~ url ~ ", '^[A-Za-z][A-Za-z0-9+.-]*://', ''), '[?#].*$', '')" -%}
  {{ page_key_from_parts("regexp_replace(" ~ rest ~ ", '/.*$', '')", "regexp_replace(" ~ rest ~ ", '^[^/]*', '')") }}
{%- endmacro %}

{% macro page_key_from_parts(host, path) -%}
  case when {{ host }} is null or {{ path }} is null then null else
  regexp_replace(regexp_replace(lower({{ host }}), '^www\.', ''), ':(80|443)$', '')
  || coalesce(nullif(regexp_replace(regexp_replace({{ path }}, '[?#].*$', ''), '/+$', ''), ''), '/')
  end
{%- endmacro %}
