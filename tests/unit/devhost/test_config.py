"""What the dev host reads before it starts: local.settings.json, the settings hook, host.json, the app."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from local.devhost.errors import StartupError
from local.devhost.hostconfig import HostConfig, read_host_config
from local.devhost.loader import HttpBinding, QueueBinding, TimerBinding, load_functions
from local.devhost.settings import load_local_settings, run_settings_hook


def failing_hook() -> None:
    from shared.settings import load_settings

    load_settings(bc_tenant_id="")  # every other required setting is missing too


def test_local_values_never_override_the_environment(tmp_path: Path) -> None:
    # GIVEN a variable already set, and local settings with it and another
    path = tmp_path / "local.settings.json"
    path.write_text(
        json.dumps({"Values": {"A": "from-file", "B": "from-file", "N": 3}, "Host": {"LocalHttpPort": 7999}})
    )
    environ = {"A": "from-environment"}
    # WHEN they are loaded
    local = load_local_settings(path, environ, required=True)
    # THEN only the unset one is taken; non-string values arrive as JSON text
    assert environ == {"A": "from-environment", "B": "from-file", "N": "3"}
    assert local.local_http_port == 7999


def test_a_missing_settings_file_is_an_error_only_when_asked_for(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(StartupError, match="does not exist"):
        load_local_settings(missing, {}, required=True)
    assert load_local_settings(missing, {}, required=False).values == {}


def test_an_encrypted_settings_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": True, "Values": {}}))
    with pytest.raises(StartupError, match="encrypted"):
        load_local_settings(path, {}, required=True)


def test_a_settings_error_from_the_hook_becomes_one_line() -> None:
    with pytest.raises(StartupError) as error:
        run_settings_hook(f"{__name__}:failing_hook")
    message = str(error.value)
    assert message.startswith("Invalid settings: ")
    assert "\n" not in message


def test_a_bad_hook_spec_is_a_start_up_error() -> None:
    with pytest.raises(StartupError, match="must look like"):
        run_settings_hook("no_colon")
    with pytest.raises(StartupError, match="cannot be loaded"):
        run_settings_hook("shared.settings:no_such_function")


def test_host_json_options(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(
        json.dumps(
            {
                "extensions": {
                    "http": {"routePrefix": "/v1/"},
                    "serviceBus": {
                        "maxConcurrentCalls": 3,
                        "maxConcurrentSessions": 2,
                        "sessionIdleTimeout": "00:01:30.5",
                        "autoCompleteMessages": False,
                    },
                }
            }
        )
    )
    assert read_host_config(path) == HostConfig("v1", 3, 2, 90.5, False)
    assert read_host_config(tmp_path / "absent.json") == HostConfig()


def test_the_repository_host_json_is_read() -> None:
    config = read_host_config(Path(__file__).resolve().parents[3] / "host.json")
    assert config.route_prefix == "api"  # design §2: every route is /api/...
    assert config.auto_complete_messages  # design §5: the host settles


def test_the_loader_reads_each_trigger_from_the_binding_metadata() -> None:
    # GIVEN the fixture app and the settings its bindings name
    environ = {
        "FIXTURE_TICK_SCHEDULE": "*/2 * * * * *",
        "FIXTURE_PLAIN_QUEUE": "plain-q",
        "FIXTURE_SESSION_QUEUE": "session-q",
        "FIXTURE_BATCH_QUEUE": "batch-q",
    }
    functions = {f.name: f for f in load_functions("tests.e2e.devhost.fixture_app", environ)}
    # THEN every trigger is described, with %NAME% resolved and the function name as given
    assert functions["hello"].binding == HttpBinding("hello", frozenset({"GET"}), func.AuthLevel.ANONYMOUS)
    assert functions["keyed"].binding == HttpBinding("keyed", frozenset({"GET"}), func.AuthLevel.FUNCTION)
    assert functions["admin_only"].binding == HttpBinding(
        "ops/secret", frozenset({"GET"}), func.AuthLevel.ADMIN
    )
    assert functions["tick"].binding == TimerBinding("*/2 * * * * *", run_on_startup=False)
    assert functions["plain"].binding == QueueBinding(
        "plain-q", sessions=False, connection="ServiceBusConnection"
    )
    assert functions["ordered"].binding == QueueBinding(
        "session-q", sessions=True, connection="ServiceBusConnection"
    )
    assert functions["batched"].binding == QueueBinding(
        "batch-q", sessions=False, connection="ServiceBusConnection", many=True
    )
    assert functions["ordered"].wants_context
    assert not functions["plain"].wants_context
    assert functions["ordered"].call.__name__ == "record_in_order"
