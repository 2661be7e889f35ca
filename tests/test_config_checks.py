"""The configuration of upstreams, depends_on, heartbeats and certificate warnings: each
mistake is one line naming the file, the table and the key, and never quotes a secret."""

from __future__ import annotations

import pytest

from statuspage import DEFAULT_CONFIG
from statuspage.config import ConfigError, load_config

SITE = '[site]\nname = "Capgo"\nurl = "https://status.capgo.app"\n'
UPSTREAM = '[[upstreams]]\nname = "Cloudflare"\nurl = "https://www.cloudflarestatus.com"\n'
COMPONENT = '[[components]]\nslug = "analytics"\nname = "Analytics"\n'
KEY = "k3y-" + "x" * 40


def heartbeat(extra: str = "") -> str:
    return f'[[components.probes]]\nname = "Queue consumer"\nkind = "heartbeat"\n{extra}'


GOOD = (
    SITE
    + UPSTREAM
    + 'components = ["Workers", "R2"]\ninterval_s = 120\n'
    + '[[upstreams]]\nname = "Supabase"\nurl = "https://status.supabase.com/"\n'
    + COMPONENT
    + 'depends_on = ["Cloudflare", "Supabase"]\n'
    + heartbeat('key = "${QUEUE_KEY}"\nexpect_every_s = 300\ngrace_s = 120\n')
    + "[alerts]\ncertificate_days = 21\n"
)


def test_a_good_file_reads_into_upstreams_heartbeats_and_warnings(write_config) -> None:
    config = load_config(write_config(GOOD))
    cloudflare, supabase = config.upstreams
    assert (cloudflare.name, cloudflare.slug) == ("Cloudflare", "cloudflare")
    assert cloudflare.components == ("Workers", "R2") and cloudflare.interval_s == 120
    assert supabase.url == "https://status.supabase.com"  # no trailing slash
    assert (supabase.components, supabase.interval_s) == (None, 300)  # all, every 5 min
    [component] = config.components
    assert component.depends_on == ("Cloudflare", "Supabase")
    [probe] = config.heartbeats
    assert probe.is_heartbeat and config.http_probes == []
    assert (probe.key, probe.expect_every_s, probe.grace_s) == (
        "analytics/queue-consumer",
        300,
        120,
    )
    # The grace is a heartbeat's tolerance: one late turn is enough, one beat recovers.
    assert (probe.failures_to_open, probe.successes_to_close) == (1, 1)
    assert config.alerts.certificate_days == 21


def test_the_default_file_names_real_providers_and_no_heartbeat_key(write_config) -> None:
    config = load_config(DEFAULT_CONFIG)
    assert [u.name for u in config.upstreams] == ["Cloudflare", "Supabase"]
    assert config.alerts.certificate_days == 14
    for probe in config.heartbeats:
        assert probe.heartbeat_key.startswith("${")  # from the environment, never committed


BROKEN = [
    (UPSTREAM.replace('name = "Cloudflare"\n', ""), ["upstream #1", "missing required key 'name'"]),
    (UPSTREAM.replace("https://www", "ftp://www"), ["upstream 'Cloudflare'", "'url'", "http(s)"]),
    (UPSTREAM + 'colour = "orange"\n', ["upstream 'Cloudflare'", "unknown key 'colour'"]),
    (UPSTREAM + "interval_s = 10\n", ["upstream 'Cloudflare'", "'interval_s'", ">= 60"]),
    (UPSTREAM + "components = []\n", ["upstream 'Cloudflare'", "'components' is empty"]),
    (UPSTREAM + 'components = ["R2", "r2"]\n', ["upstream 'Cloudflare'", "twice"]),
    (UPSTREAM + "components = [1]\n", ["upstream 'Cloudflare'", "'components'", "strings"]),
    (UPSTREAM + UPSTREAM, ["upstream 'Cloudflare'", "duplicate name"]),
    (
        COMPONENT + 'depends_on = ["Cloudfare"]\n',
        ["component 'analytics'", "'depends_on'", "'Cloudfare'"],
    ),
    (COMPONENT + 'depends_on = "Cloudflare"\n', ["component 'analytics'", "'depends_on'"]),
    (
        COMPONENT + heartbeat("expect_every_s = 60\n"),
        ["'Queue consumer'", "missing required key 'key'"],
    ),
    (COMPONENT + heartbeat(f'key = "{KEY}"\n'), ["'Queue consumer'", "'expect_every_s'"]),
    (
        COMPONENT + heartbeat(f'key = "{KEY}"\nexpect_every_s = 0\n'),
        ["'Queue consumer'", "'expect_every_s'", ">= 1"],
    ),
    (
        COMPONENT + heartbeat(f'key = "{KEY}"\nexpect_every_s = 60\ngrace_s = -1\n'),
        ["'Queue consumer'", "'grace_s'"],
    ),
    (
        COMPONENT + heartbeat(f'key = "{KEY}"\nexpect_every_s = 60\nurl = "https://x"\n'),
        ["'Queue consumer'", "unknown key 'url'"],
    ),
    (
        COMPONENT + heartbeat('key = "${KEY} and more"\nexpect_every_s = 60\n'),
        ["'Queue consumer'", "'key' may hold only"],
    ),
    (
        COMPONENT + '[[components.probes]]\nname = "X"\nkind = "ping"\nurl = "https://x"\n',
        ["probe 'X'", "'kind'", "heartbeat"],
    ),
    ("[alerts]\ncertificate_days = 0\n", ["[alerts]", "'certificate_days'"]),
]


@pytest.mark.parametrize(("body", "words"), BROKEN)
def test_each_mistake_is_one_line_naming_table_and_key(write_config, body, words) -> None:
    path = write_config(SITE + body)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    for word in words:
        assert word in message, message


def test_upstreams_must_be_tables(write_config) -> None:
    path = write_config('upstreams = "Cloudflare"\n' + SITE)
    with pytest.raises(ConfigError, match="'upstreams' must be an array of tables"):
        load_config(path)


def test_a_short_written_out_key_is_refused_without_being_quoted(write_config) -> None:
    short = "not-long-enough-secret"
    path = write_config(SITE + COMPONENT + heartbeat(f'key = "{short}"\nexpect_every_s = 60\n'))
    with pytest.raises(ConfigError, match="32 to 200 letters") as refused:
        load_config(path)
    assert short not in str(refused.value)
