"""The web shell as a person sees it: sign in, the home page in Chinese, the language switch, a phone screen."""

from typing import Any

import pytest

from heatline.registry.tests.factories import Org
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_signs_in_and_sees_the_chinese_home_with_real_counts(org: Org, page_for: Any) -> None:
    # given / when: the operator signs in
    page = page_for(org.operator.username)
    # then: Chinese navigation with the intake page, and the register's counts
    assert page.locator("nav.mainnav").get_by_text("来电登记").is_visible()
    assert page.get_by_text("热用户").first.is_visible()
    screenshot(page, "home-operator")
    # when: switching to English
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    # then
    assert page.get_by_text("Call intake").first.is_visible()


def test_wrong_password_is_refused_with_a_clear_message(org: Org, browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", org.operator.username)
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():  # the refused form comes back as a new page: wait for it
        page.click("button[type=submit]")
    assert page.get_by_text("用户名或密码不正确").is_visible()
    screenshot(page, "login-error")
    context.close()


def test_the_menu_works_on_a_phone_screen(org: Org, page_for: Any) -> None:
    page = page_for(org.worker.username, viewport={"width": 390, "height": 844})
    assert not page.locator("nav.mainnav").is_visible()
    page.click("label.nav-burger")
    assert page.locator("nav.mainnav").is_visible()
    screenshot(page, "home-phone-worker")
