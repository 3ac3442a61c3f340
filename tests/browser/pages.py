"""What the browser tests do on every page: log in, take the two screenshots."""
from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PHONE, DESKTOP = {"width": 375, "height": 812}, {"width": 1280, "height": 800}


def shoot(page, name: str) -> None:
    """The page as it is now, at 375x812 and 1280x800 (full page), then back to the phone size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("375", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def login(page, user: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(f"{user}-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
