from tests import factories


def test_official_signs_in_and_sees_home_in_chinese(app, ctx, web):
    factories.municipal_official(username="chen", display_name="陈主任")
    web.login("chen")
    page = web.get("/").get_data(as_text=True)
    assert "您好，陈主任" in page
    assert "人员" in page and "组织机构" in page
