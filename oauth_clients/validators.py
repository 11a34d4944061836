from oauth2_provider.oauth2_validators import OAuth2Validator


class ClientCredentialsValidator(OAuth2Validator):
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # An empty set is a subset of anything, so a client granted nothing
        # would otherwise get a token with scope "". Fail closed.
        if not scopes:
            return False
        return super().validate_scopes(
            client_id, scopes, client, request, *args, **kwargs
        )
