def test_smoke(seeded, client, login):
    login("editor")
    for path in ["/", "/runs", "/site", "/site/pages", "/site/pages?sort=-status&q=pric", "/site/compare",
                 "/site/page?crawl=example.com-20250115T093000Z&url=https://example.com/pricing"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[-2000:])
    r = client.get("/site/pages?q=pric", headers={"HX-Request": "true"})
    print(r.text)
