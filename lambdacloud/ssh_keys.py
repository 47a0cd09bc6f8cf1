"""SSH keys: the public keys instances are launched with."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from lambdacloud._api import Api
from lambdacloud._display import ResourceList
from lambdacloud._resource import Manager, Resource, id_of, path_segment
from lambdacloud._secrets import secret
from lambdacloud._validation import check_text
from lambdacloud.errors import NotFoundError


@attrs.define(eq=False, kw_only=True)
class SSHKey(Resource["SSHKeyManager"]):
    """A public SSH key in the account.

    Attributes:
        id: The key's id.
        name: The key's name, which launches refer to.
        public_key: The public key in OpenSSH format.
    """

    name: str
    public_key: str

    def refresh(self) -> SSHKey:
        """Read the key again (the API has no single-key call, so this lists the keys).

        Returns:
            This key, updated in place.

        Raises:
            NotFoundError: The key no longer exists.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/ssh-keys``
        """
        for key in self._bound().list():
            if key.id == self.id:
                return self._replace_state(key)
        raise NotFoundError(f"SSH key {self.id} no longer exists")

    def delete(self) -> None:
        """Delete this key from the account: ``SSHKeyManager.delete()`` documents it."""
        self._bound().delete(self)


@attrs.define(eq=False, kw_only=True)
class GeneratedSSHKey(SSHKey):
    """A key pair the API generated: the only time its private key is ever available.

    The private key is kept out of ``repr()``; save it with ``save_private_key()``.

    Attributes:
        private_key: The private key in PEM format.
    """

    private_key: str = attrs.field(repr=False, metadata=secret())

    def save_private_key(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the private key to a file only the current user can read (mode 0600).

        Args:
            path: Where to write it, e.g. ``~/.ssh/lambda_key``; ``~`` is expanded.
            overwrite: Replace an existing file instead of failing.

        Returns:
            The path written.

        Raises:
            FileExistsError: The file exists and ``overwrite`` is false.
            OSError: The file cannot be written.

        API: none (the key is already in this object).
        """
        target = Path(path).expanduser()
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        descriptor = os.open(target, flags, 0o600)
        # An existing file keeps its mode through O_TRUNC: restrict it before writing.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(self.private_key)
        return target


class SSHKeyManager(Manager):
    """``client.ssh_keys``: the account's SSH keys."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        api.serve(SSHKey, self)

    def list(self) -> ResourceList[SSHKey]:
        """List the account's SSH keys.

        Returns:
            The keys, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/ssh-keys``
        """
        data = self._request("GET", "/ssh-keys")
        return self._structure_list(data, SSHKey, "a list of SSH keys")

    def create(self, name: str, public_key: str | None = None) -> SSHKey:
        """Add a public key, or have the API generate a key pair.

        Args:
            name: The key's name (1 to 64 characters).
            public_key: An OpenSSH public key. Without one, the API generates a pair and
                returns a ``GeneratedSSHKey`` holding the private key, once.

        Returns:
            The new key; a ``GeneratedSSHKey`` when the API generated it.

        Raises:
            ValidationError: ``name`` or ``public_key`` is empty or too long.
            DuplicateError: A key with that name exists.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/ssh-keys``
        """
        body = {"name": check_text("name", name, min_length=1, max_length=64)}
        if public_key is not None:
            body["public_key"] = check_text("public_key", public_key, min_length=1, max_length=4096)
        data = self._request("POST", "/ssh-keys", json_body=body)
        if isinstance(data, dict) and "private_key" in data:
            return self._structure(data, GeneratedSSHKey, "a generated SSH key")
        return self._structure(data, SSHKey, "an SSH key")

    def delete(self, key: SSHKey | str) -> None:
        """Delete an SSH key.

        Args:
            key: The key or its id.

        Raises:
            ValidationError: ``key`` is not a key or an id.
            NotFoundError: No such key.
            LambdaCloudError: The request failed.

        API: ``DELETE /api/v1/ssh-keys/{id}``
        """
        key_id = id_of(key, "key")
        self._request("DELETE", f"/ssh-keys/{path_segment(key_id)}")
