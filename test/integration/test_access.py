"""Access control (issue 5): clients outside the allowed networks get REFUSED or
nothing, allowed ones are served. Each client is a distinct loopback source
address, which the private network namespace lets us bind freely."""
import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import OwnPort53d, port53d_only

ADDR = "127.53.0.9"
RULES = ('access_control = ["127.0.0.0/8 allow", "127.66.0.0/16 refuse", '
         '"127.67.0.0/16 deny", "127.68.1.0/24 allow", "127.68.0.0/16 refuse"]\n')


def ask(source, tcp=False):
    q = dns.message.make_query("www.sec.lab.", "A")
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, ADDR, timeout=2, source=source)


@port53d_only
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_access_control(lab, tmp_path, tcp):
    with OwnPort53d(lab, tmp_path, ADDR, server=RULES):
        assert ask("127.0.0.1", tcp).rcode() == dns.rcode.NOERROR
        assert ask("127.66.0.7", tcp).rcode() == dns.rcode.REFUSED
        # the most specific rule wins: /24 allow inside a /16 refuse
        assert ask("127.68.1.5", tcp).rcode() == dns.rcode.NOERROR
        assert ask("127.68.2.5", tcp).rcode() == dns.rcode.REFUSED
        with pytest.raises((dns.exception.Timeout, EOFError, ConnectionError)):
            ask("127.67.0.7", tcp)
        # refused and dropped clients did not stop the resolver serving others
        assert ask("127.0.0.1", tcp).rcode() == dns.rcode.NOERROR


@port53d_only
def test_each_listen_address_can_have_its_own_access_list(lab, tmp_path):
    """A second address with a stricter list: the same client is served on one and
    refused on the other, over UDP and TCP."""
    strict = "127.53.0.21"
    daemon = OwnPort53d(lab, tmp_path, ADDR, name="perlistener",
                        server='listen_access_control = ["%s:53 = 127.0.0.0/8 refuse"]\n' % strict)
    daemon.conf.write_text(daemon.conf.read_text().replace(
        'listen = ["%s:53"]' % ADDR, 'listen = ["%s:53", "%s:53"]' % (ADDR, strict)))
    with daemon:
        q = dns.message.make_query("www.sec.lab.", "A")
        assert dns.query.udp(q, ADDR, timeout=5).rcode() == dns.rcode.NOERROR
        assert dns.query.udp(q, strict, timeout=5).rcode() == dns.rcode.REFUSED
        assert dns.query.tcp(q, strict, timeout=5).rcode() == dns.rcode.REFUSED
