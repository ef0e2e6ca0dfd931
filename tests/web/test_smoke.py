async def test_home_renders(client):
    r = await client.get("/")
    assert r.status_code == 200, r.text
    assert "Public Good Market" in r.text or "公益" in r.text
