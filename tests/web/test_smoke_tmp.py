def test_smoke(seeded, client, login):
    login("editor")
    for path in ["/", "/runs", "/site", "/site/pages", "/site/pages?sort=-status&q=pric", "/site/compare",
                 "/site/page?crawl=example.com-20250115T093000Z&url=https://example.com/pricing", "/briefs", "/briefs/content-brief-template", "/plan"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[-2000:])
    print(client.get("/plan").text[-3000:])
