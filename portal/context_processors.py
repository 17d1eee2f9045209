from .access import ANONYMOUS, memberships_of
from .menu import menu_for


def actor(request):
    actor = getattr(request, "actor", ANONYMOUS)
    user = getattr(request, "user", None)
    memberships = []
    if user is not None and user.is_authenticated:
        memberships = list(memberships_of(user))
    return {"actor": actor, "my_memberships": memberships, "menu": menu_for(actor)}
