"""Chat channels: each platform's documented incoming-webhook payload.

Slack: blocks inside an attachment (the attachment carries the status colour); text in
mrkdwn with `&`, `<` and `>` escaped, so no one can write `<!channel>` or a disguised link.
Discord: one embed, with mentions disabled (`allowed_mentions`), so `@everyone` in an update
pings no one. Microsoft Teams: a workflow ("When a Teams webhook request is received")
message holding an Adaptive Card.
"""

from __future__ import annotations

from typing import Any

from statuspage.vocabulary import STATUS_LABELS, Channel

# Colours in common use for each impact (and green once it is over).
COLOURS = {
    "resolved": "#28a745",
    "critical": "#d73a49",
    "major": "#e36209",
    "minor": "#dbab09",
    "maintenance": "#0366d6",
    "none": "#6a737d",
}
TEAMS_COLOURS = {
    "resolved": "Good",
    "critical": "Attention",
    "major": "Attention",
    "minor": "Warning",
    "maintenance": "Accent",
    "none": "Default",
}
OVER = {"resolved", "postmortem", "completed", "resumed"}


def message(payload: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return what a chat message says, from an incident event's or an alert's payload."""
    if "incident" in payload:
        incident = payload["incident"]
        update = payload.get("update") or {}
        status = incident["status"]
        label = update.get("label") or status.replace("_", " ").capitalize()
        text = update.get("body") or payload.get("postmortem") or ""
        components = ", ".join(
            f"{c['name']} ({STATUS_LABELS.get(c['status'], c['status'])})"
            for c in incident["components"]
        )
        return {
            "title": incident["name"],
            "status": label,
            "text": text,
            "components": components,
            "url": incident["shortlink"],
            "link_text": "View on the status page",
            "tone": "resolved" if status in OVER else incident["impact"],
            "site": payload["site"]["name"],
        }
    components = ", ".join(f"{c['name']} ({c['label']})" for c in payload.get("components", []))
    return {
        "title": payload["title"],
        "status": payload["status"].replace("_", " ").capitalize(),
        "text": payload["text"],
        "components": components,
        "url": payload["admin_url"],
        "link_text": "Post a note",
        "tone": "resolved" if payload["status"] in OVER else payload.get("impact", "major"),
        "site": payload["site"]["name"],
    }


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(said: dict[str, Any]) -> dict[str, Any]:
    """Return a Slack incoming-webhook body."""
    fields = f"*Status:* {slack_escape(said['status'])}"
    if said["components"]:
        fields += f"\n*Components:* {slack_escape(said['components'])}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": said["title"][:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": fields}},
    ]
    if said["text"]:
        body = slack_escape(said["text"])[:2900]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": said["link_text"]},
                    "url": said["url"],
                }
            ],
        }
    )
    return {
        # The notification's text, which Slack also reads as mrkdwn.
        "text": slack_escape(f"{said['site']}: {said['title']} ({said['status']})"),
        "attachments": [{"color": COLOURS.get(said["tone"], COLOURS["none"]), "blocks": blocks}],
    }


def discord(said: dict[str, Any]) -> dict[str, Any]:
    """Return a Discord webhook body: one embed, no mentions."""
    fields = [{"name": "Status", "value": said["status"][:1024], "inline": True}]
    if said["components"]:
        fields.append({"name": "Components", "value": said["components"][:1024], "inline": True})
    colour = COLOURS.get(said["tone"], COLOURS["none"])
    return {
        "username": f"{said['site']} Status"[:80],
        "allowed_mentions": {"parse": []},
        "embeds": [
            {
                "title": said["title"][:256],
                "url": said["url"],
                "description": said["text"][:4000],
                "color": int(colour.lstrip("#"), 16),
                "fields": fields,
            }
        ],
    }


def teams(said: dict[str, Any]) -> dict[str, Any]:
    """Return a Teams workflow body with an Adaptive Card."""
    facts = [{"title": "Status", "value": said["status"]}]
    if said["components"]:
        facts.append({"title": "Components", "value": said["components"]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": said["title"],
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": TEAMS_COLOURS.get(said["tone"], "Default"),
            },
            {"type": "FactSet", "facts": facts},
            {"type": "TextBlock", "text": said["text"], "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": said["link_text"], "url": said["url"]}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


BUILDERS = {Channel.SLACK: slack, Channel.DISCORD: discord, Channel.TEAMS: teams}


def chat_body(channel: str, payload: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return the body for a chat channel."""
    return BUILDERS[Channel(channel)](message(payload, kind))
