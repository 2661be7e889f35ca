"""Mail in each subscriber's language: the one chosen at sign-up, through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from statuspage import staff
from statuspage.config import load_config
from statuspage.notify import outcomes
from statuspage.notify.delivery import Deliverer
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, Subscriber
from statuspage.vocabulary import LANGUAGES
from tests.conftest import REPO_ROOT
from tests.engine.test_evaluation import CONFIG, Script, both
from tests.notify.flows import ALICE, confirmed, deliver, link_in, open_incident, unsubscribe_path
from tests.notify.helpers import html_of, text_of

MAIL_TEMPLATES = REPO_ROOT / "statuspage" / "templates" / "mail"


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


def confirmed_in_french(app, client, smtp, address: str) -> None:
    """Sign up on /fr/subscribe and click the French confirmation."""
    page = client.post("/fr/subscribe", data={"email": address}).get_data(as_text=True)
    assert "Consultez votre boîte de réception" in page
    deliver(app)
    [mail] = smtp.to(address)
    assert mail["Subject"] == "Confirmez votre abonnement à l'état de Capgo"
    text, html = text_of(mail), html_of(mail)
    for part in (text, html):
        assert "Quelqu'un, probablement vous, a demandé à être informé de l'état de Capgo" in part
        assert "Confirmer l'abonnement" in part and "valable 7 jours" in part
        assert "Someone" not in part and "Confirm the" not in part
    assert '<html lang="fr">' in html
    link = link_in(mail, "subscribe/confirm")
    assert link.startswith("/fr/subscribe/confirm/")
    assert "Vous êtes abonné" in client.post(link).get_data(as_text=True)


def event_mails(smtp, address: str) -> list:
    return [m for m in smtp.to(address) if "abonnement" not in m["Subject"]][1:]


def test_a_french_subscriber_gets_french_mail_an_english_one_english(app, client, smtp) -> None:
    confirmed_in_french(app, client, smtp, "marie@example.com")
    confirmed_in_french(app, client, smtp, "luc@example.com")
    confirmed(app, client, smtp, "ann@example.com")
    code = open_incident(app, components={"live-updates": "major_outage"})
    deliverer = Deliverer(app)
    deliverer.drain()

    [french] = smtp.to("marie@example.com")[1:]
    assert french["Subject"] == "[État de Capgo] Nouvel incident : Update checks failing"
    text, html = text_of(french), html_of(french)
    for part in (text, html):
        assert "Enquête en cours" in part and "Panne majeure" in part and "Impact critique" in part
        assert "We are looking into it." in part  # what staff wrote stays as written
        assert f"https://status.capgo.app/fr/incidents/{code}" in part
        assert "Suivre cet incident sur la page d'état" in part
        assert "Vous recevez ce message car vous êtes abonné à l'état de Capgo." in part
        assert "Investigating" not in part and "Unsubscribe" not in part
    assert '<html lang="fr">' in html
    assert unsubscribe_path(french).startswith("/fr/unsubscribe/")
    assert link_in(french, "fr/unsubscribe") == unsubscribe_path(french)

    [english] = smtp.to("ann@example.com")[1:]
    assert english["Subject"] == "[Capgo Status] New incident: Update checks failing"
    for part in (text_of(english), html_of(english)):
        assert "Investigating" in part and "Major Outage" in part
        assert f"https://status.capgo.app/incidents/{code}" in part
        assert "Enquête" not in part
    assert unsubscribe_path(english).startswith("/unsubscribe/")

    # Rendered once per language, not per recipient: Luc's mail is Marie's but for his links.
    [luc] = smtp.to("luc@example.com")[1:]
    assert luc["Subject"] == french["Subject"]
    assert {language for _, language in deliverer._rendered} == {"fr", "en"}
    assert len(deliverer._rendered) == 2
    # The French unsubscribe page works and unsubscribes.
    page = client.post(unsubscribe_path(french)).get_data(as_text=True)
    assert '<html lang="fr"' in page


def test_an_automatic_incident_is_worded_in_each_subscribers_language(
    app, client, smtp, config_path
) -> None:
    confirmed_in_french(app, client, smtp, "marie@example.com")
    confirmed(app, client, smtp, "ann@example.com")
    with app.app_context():
        script = Script(load_config(config_path))
        script.now = utcnow() + timedelta(seconds=1)  # after the confirmations
        script.run(both("up"))
        script.repeat(both("down"), 3)
        incident = db.session.execute(db.select(Incident)).scalar_one()
        english_body = incident.updates[0].body
    deliver(app)

    [french] = smtp.to("marie@example.com")[1:]
    assert french["Subject"] == "[État de Capgo] Nouvel incident : Panne majeure de Live Updates"
    for part in (text_of(french), html_of(french)):
        assert "Les vérifications automatiques de Live Updates échouent depuis" in part
        assert "Update check a répondu HTTP 503" in part
        assert "Automated checks" not in part

    [english] = smtp.to("ann@example.com")[1:]
    assert english["Subject"] == "[Capgo Status] New incident: Major outage of Live Updates"
    assert english_body.startswith("Automated checks of Live Updates have been failing")
    assert english_body in text_of(english)


def test_maintenance_windows_are_written_the_readers_way(app, client, smtp) -> None:
    confirmed_in_french(app, client, smtp, "marie@example.com")
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    with app.app_context():
        staff.schedule_maintenance(
            ALICE,
            app.config["STATUS"],
            utcnow(),
            name="Database upgrade",
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            components=["live-updates"],
            notify=True,
        )
    deliver(app)
    [french] = smtp.to("marie@example.com")[1:]
    assert french["Subject"] == "[État de Capgo] Maintenance planifiée : Database upgrade"
    text = text_of(french)
    assert "Créneau : du " in text and " UTC au " in text
    assert "Suivre cette maintenance sur la page d'état" in text
    # The default text staff chose by writing none is the system's: worded in French.
    assert "This maintenance has been scheduled." not in text


def _ids(path: Path) -> set[str]:
    with path.open("rb") as file:
        return {m.id for m in read_po(file) if m.id}


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_plain_text_mails_words_are_in_every_catalog(code: str) -> None:
    """babel.cfg reads only the .html templates: each .txt must say what its .html says."""
    words = {
        message
        for path in MAIL_TEMPLATES.glob("*.txt")
        for _, message, _, _ in extract_from_file(
            "jinja2", str(path), options={"trimmed": "true", "silent": "false"}
        )
    }
    assert "Follow this incident on the status page" in words
    catalog = REPO_ROOT / "statuspage" / "translations" / code / "LC_MESSAGES" / "messages.po"
    assert words - _ids(catalog) == set()


def test_a_webhooks_owner_is_told_in_their_language(app, client, smtp, hooks) -> None:
    owner = "proprio@example.com"
    form = {"kind": "webhook", "email": owner, "url": hooks.url("/down")}
    assert "Consultez votre boîte" in client.post("/fr/subscribe/hook", data=form).get_data(
        as_text=True
    )
    deliver(app)
    [confirmation] = smtp.to(owner)
    assert confirmation["Subject"] == "Confirmez votre abonnement à l'état de Capgo"
    assert "sur une URL webhook de 127.0.0.1" in text_of(confirmation)
    assert "Vous êtes abonné" in client.post(
        link_in(confirmation, "fr/subscribe/confirm")
    ).get_data(as_text=True)
    with app.app_context():
        subscriber = db.session.execute(db.select(Subscriber)).scalar_one()
        outcomes.disable(subscriber.id, "HTTP 503, expected 2xx", utcnow())
        db.session.commit()
    deliver(app)
    [notice] = smtp.to(owner)[1:]
    assert notice["Subject"] == "Votre webhook d'état de Capgo a été désactivé"
    text = text_of(notice)
    assert "Votre abonnement webhook à l'état de Capgo vers 127.0.0.1" in text
    assert "a été désactivé : HTTP 503, expected 2xx." in text  # the reason as recorded
    assert "Se réabonner\nhttps://status.capgo.app/fr/subscribe" in text.replace("\r\n", "\n")
    assert 'href="https://status.capgo.app/fr/subscribe"' in html_of(notice)
