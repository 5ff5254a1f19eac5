from accounts.forms import SignupForm


class ExplodingSignupForm(SignupForm):
    """on_signup that fails after the user row exists, to prove the rollback."""

    def on_signup(self, request, user):
        assert user.pk is not None
        raise RuntimeError("acceptance could not be recorded")
