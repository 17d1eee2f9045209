import re

from django import template

from portal.audit_labels import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``{{ entry.action|action_label }}``: the human label of an audit action."""
    return _action_label(action)


DEFAULT_OBJECT_NAME = re.compile(r"^\w+ object \(\d+\)$")


@register.filter
def object_name(text: str) -> str:
    """``{{ entry.object_repr|object_name }}``: the recorded name of an object, never Django's default
    "Model object (5)" (kept by entries written before the object had a name of its own)."""
    return "" if DEFAULT_OBJECT_NAME.match(text or "") else text


@register.filter
def get_item(mapping, key):
    """``{{ problems|get_item:anchor }}``: a dictionary's value for a key computed in the template."""
    return (mapping or {}).get(key, "")
