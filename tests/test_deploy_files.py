"""The files that deploy the service agree with the code and the README."""

import re
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"


def _k8s(name):
    return yaml.safe_load((K8S / name).read_text())


def _readme_rows():
    rows = re.findall(r"^\|([^|]+)\|", (ROOT / "README.md").read_text(), re.M)
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}


def test_every_variable_in_env_example_and_the_configmap_is_documented():
    example = re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    configmap = _k8s("configmap.yaml")["data"]

    undocumented = (set(example) | set(configmap)) - _readme_rows()

    assert not undocumented


def test_env_example_holds_placeholders_only():
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if name.endswith(("SECRET_KEY", "PASSWORD", "TOKEN")):
            assert value.startswith("replace-"), name


def test_compose_migrates_in_its_own_step_before_the_app_starts():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    assert set(services) == {"postgres", "redis", "migrate", "app"}
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert "command" not in services["app"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_the_image_runs_gunicorn_as_a_non_root_user_and_never_migrates():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]

    (user,) = re.findall(r"^USER (\S+)", runtime, re.M)
    assert user.split(":")[0] not in {"0", "root"}
    (command,) = re.findall(r"^CMD (.+)$", runtime, re.M)
    assert "gunicorn.conf.py" in command
    assert "migrate" not in command
    assert "collectstatic" in runtime


@pytest.mark.parametrize(
    ("probe", "view"),
    [
        ("startupProbe", "health-live"),
        ("livenessProbe", "health-live"),
        ("readinessProbe", "health-ready"),
    ],
)
def test_the_deployment_probes_the_health_endpoints(probe, view):
    (container,) = _k8s("deployment.yaml")["spec"]["template"]["spec"]["containers"]

    path = container[probe]["httpGet"]["path"]

    assert resolve(path).url_name == view


def test_the_statement_timeout_stays_below_the_worker_timeout():
    data = _k8s("configmap.yaml")["data"]

    statement_seconds = int(data["DATABASE_STATEMENT_TIMEOUT_MS"]) / 1000
    assert statement_seconds < int(data["GUNICORN_TIMEOUT"])
