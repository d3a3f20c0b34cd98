from django import template

from testimonia.custody.services import action_label

register = template.Library()


@register.filter(name="custody_action")
def custody_action(action: str) -> str:
    return action_label(action)
