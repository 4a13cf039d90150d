"""wss:// from the Python SDK to a live lhttpd with a certificate (spec 10): trusted
through ``ca_pem``, the connection works both ways; without the CA it is a Connect
error, not a hang or a plain-text fallback. The certificates are made here by openssl:
a CA, and a server certificate for 127.0.0.1 that it signed."""
import shutil
import subprocess

import pytest

import lhttp

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def certificates(tmp_path):
    def run(*args):
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=lhttp test CA")
    run("req", *ec, "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (tmp_path / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf")
    return tmp_path


def test_wss_with_the_servers_ca_subscribes_and_receives(start_server, certificates):
    server = start_server("--tls-cert", str(certificates / "cert.pem"), "--tls-key", str(certificates / "key.pem"))
    url = server.url.replace("ws://", "wss://")
    ca = (certificates / "ca.pem").read_bytes()
    with lhttp.connect(url, timeout=5, ca_pem=ca) as client:
        client.subscribe("room")
        assert client.publish("room", "over tls") == 1
        assert client.recv(timeout=5).body == b"over tls"


def test_wss_without_the_ca_is_a_connect_error(start_server, certificates):
    server = start_server("--tls-cert", str(certificates / "cert.pem"), "--tls-key", str(certificates / "key.pem"))
    url = server.url.replace("ws://", "wss://")
    with pytest.raises(lhttp.ConnectError):
        lhttp.connect(url, timeout=5)
    with pytest.raises(lhttp.ConnectError):
        lhttp.connect(server.url, timeout=5)  # plain ws:// to a TLS port
