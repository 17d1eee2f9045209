from .access import ANONYMOUS, memberships_of
from .menu import menu_for


def actor(request):
    actor = getattr(request, "actor", ANONYMOUS)
    user = getattr(request, "user", None)
    memberships = []
    if user is not None and user.is_authenticated:
        if actor.memberships is not None and actor.user is not None and actor.user.pk == user.pk:
            memberships = list(actor.memberships)  # read once, by actor_for
        else:
            memberships = list(memberships_of(user))
    return {"actor": actor, "my_memberships": memberships, "menu": menu_for(actor)}
