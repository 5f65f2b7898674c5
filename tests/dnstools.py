"""A local DNS server for the opt-out tests: answers TXT queries from a dict, over UDP on
127.0.0.1, so that the real resolver (dnspython) is exercised end to end."""

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class LocalDNS:
    def __init__(self):
        self.records: dict[str, list[str]] = {}  # "name." -> TXT strings
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def txt(self, name: str, *values: str) -> None:
        self.records[name.rstrip(".").lower() + "."] = list(values)

    def _serve(self):
        while not self._stop.is_set():
            try:
                wire, client = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            values = self.records.get(str(question.name).lower())
            if values is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                quoted = ['"' + v.replace('"', '\\"') + '"' for v in values]
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, "TXT", quoted)
                )
            self.sock.sendto(response.to_wire(), client)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
