"""Page-test harness: fetch a page, check what must hold on every page, and submit forms the way a
browser does (collecting the form's own fields, not building the URL we expect it to produce)."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode, urlsplit

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

TITLE_PATTERN = re.compile(r"^(Error: )?\S.* – Mutuals knowledge base$")


def check_every_page(soup: BeautifulSoup, html: bool = True) -> None:
    """One h1, unique ids, the title pattern, a form action on every form, no inline style."""
    assert len(soup.find_all("h1")) == 1, [h1.get_text(strip=True) for h1 in soup.find_all("h1")]
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    assert not [name for name, count in ids.items() if count > 1], ids.most_common(3)
    title = soup.title.get_text(strip=True)
    assert TITLE_PATTERN.match(title), title
    for form in soup.find_all("form"):
        assert form.get("action"), form
    assert not soup.find(style=True), soup.find(style=True)
    assert not soup.find("style")
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("nonce"), script


def get_page(client, url: str, status: int = 200, follow: bool = True) -> BeautifulSoup:
    response = client.get(url, follow_redirects=follow)
    assert response.status_code == status, (response.status_code, response.data[:300])
    soup = BeautifulSoup(response.data, "html.parser")
    soup.url = response.request.url if follow else url
    if response.mimetype == "text/html":
        check_every_page(soup)
    return soup


def form_fields(form) -> list[tuple[str, str]]:
    """What a browser sends for a form as it stands: text and hidden inputs, checked boxes,
    selected options (or the first option)."""
    pairs = []
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        if element.name == "select":
            options = element.find_all("option")
            chosen = [option for option in options if option.has_attr("selected")] or options[:1]
            pairs += [(name, option.get("value", option.get_text())) for option in chosen]
        elif element.name == "textarea":
            # What the textarea holds; the browser drops the one newline that may follow the tag.
            pairs.append((name, element.get_text().removeprefix("\n")))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                pairs.append((name, element.get("value", "on")))
        elif element.get("type") not in ("submit", "button", "image", "reset", "file"):
            pairs.append((name, element.get("value", "")))
    return pairs


def submit(client, soup: BeautifulSoup, form_selector: str = "form", status: int = 200, **changes):
    """Fill in and submit a form (GET or POST, following redirects) as a browser does: `q="pensions"`
    types into a field, `check=("sector", "libraries")` ticks a box, `uncheck=(...)` clears one,
    `select=("sort", "oldest")` picks an option."""
    form = soup.select_one(form_selector)
    assert form is not None, form_selector
    for name, value in changes.pop("fields", {}).items():
        changes[name] = value
    check = changes.pop("check", None)
    uncheck = changes.pop("uncheck", None)
    select = changes.pop("select", None)
    if check:
        box = form.find("input", {"name": check[0], "value": check[1]})
        assert box is not None, check
        if box.get("type") == "radio":  # choosing one radio clears the others of its name
            for other in form.find_all("input", {"name": check[0], "type": "radio"}):
                other.attrs.pop("checked", None)
        box["checked"] = "checked"
    if uncheck:
        box = form.find("input", {"name": uncheck[0], "value": uncheck[1]})
        del box["checked"]
    if select:
        element = form.find("select", {"name": select[0]})
        for option in element.find_all("option"):
            if option.has_attr("selected"):
                del option["selected"]
        element.find("option", {"value": select[1]})["selected"] = "selected"
    for name, value in changes.items():
        element = form.find(["input", "textarea"], {"name": name})
        assert element is not None, name
        if element.name == "textarea":
            element.string = value
        else:
            element["value"] = value
    method = (form.get("method") or "get").lower()
    if method == "post":
        parts = urlsplit(form["action"])
        action = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.post(action, data=MultiDict(form_fields(form)), follow_redirects=True)
        assert response.status_code == status, (response.status_code, response.data[:500])
        page = BeautifulSoup(response.data, "html.parser")
        page.url = response.request.url
        if response.mimetype == "text/html":
            check_every_page(page)
        return page
    action = urlsplit(form["action"]).path
    return get_page(client, f"{action}?{urlencode(form_fields(form))}", status=status)
