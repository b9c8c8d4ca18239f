"""Keep the README honest: every setting and every command is documented, and CI runs the
README's test command."""

import re

import flask

from knowledgebase import create_app
from knowledgebase.config import configure

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_NOT_DOCUMENTED = {"JSON_SORT_KEYS", "TESTING"}


def test_every_setting_is_documented(tmp_path):
    ours = flask.Flask("probe", instance_path=str(tmp_path / "instance"))
    configure(ours)
    keys = (set(ours.config) - set(flask.Flask("plain").config) - SETTINGS_NOT_DOCUMENTED) | {"SECRET_KEY"}
    for key in sorted(keys):
        assert f"`KB_{key}`" in README, key


def test_every_command_is_documented(tmp_path):
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "INDEX_DIR": str(tmp_path / "ix")}
    )
    for name in app.cli.commands:
        assert f"kb {name}" in README, name


def test_ci_runs_the_readme_test_command():
    first_commands = re.findall(r"```sh\n(.+?)\n```", README)[:2]
    assert first_commands == ["bash scripts/run-site", "bash scripts/run-tests"]
    assert "bash scripts/run-tests" in (ROOT / ".ci" / "run").read_text()


CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")


def test_the_contract_names_every_command_and_api_path(tmp_path):
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "INDEX_DIR": str(tmp_path / "ix")}
    )
    ours = set(app.cli.commands) - {"shell", "routes"}
    for name in sorted(ours):
        command = app.cli.commands[name]
        for sub in sorted(getattr(command, "commands", {}) or [None]):
            written = f"kb {name} {sub}" if sub else f"kb {name}"
            assert f"`{written}" in CONTRACT, written
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"<\1>", rule.rule)
        if rule.endpoint != "static":
            assert re.search(r"[`\s]" + re.escape(path) + r"[`\s?]", CONTRACT), path


def test_the_readme_links_the_contract_in_the_project():
    assert "(docs/contract.md)" in README and "../shared" not in README


def test_the_contract_lists_every_key_and_licence():
    from knowledgebase import fields, licences

    for key in fields.KEYS:
        assert f"| {key} |" in CONTRACT, key
    for licence in licences.LICENCES:
        row = next(line for line in CONTRACT.splitlines() if line.startswith(f"| `{licence.id}` |"))
        written = [part.strip() for part in row.split("|")[2:4]]
        assert written[0] == licence.name, row
        for alias in written[1].split(", "):
            assert licences.resolve(alias) is licence, alias
