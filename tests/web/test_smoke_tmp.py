def test_smoke(seeded, client, login):
    assert client.get("/", follow_redirects=False).status_code == 303
    login("editor")
    r = client.get("/")
    assert r.status_code == 200, r.text
    print(r.text[:3000])
