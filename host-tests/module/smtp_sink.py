"""A real SMTP server on 127.0.0.1 for the module tests: every message it receives is stored as
one JSON file (envelope sender, recipients, the raw message) in the directory given; a
recipient at a `.invalid` domain is refused (550), so a test can see the mailer fail for real.

    /usr/bin/python3 smtp_sink.py PORT DIR      (Debian's python3-aiosmtpd; runs until killed)
"""
import asyncio, json, os, sys, time
from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A recipient at a .invalid domain is refused, as a real server refuses an unknown one.
        if address.lower().endswith(".invalid"):
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.directory, "%d-%03d.json" % (int(time.time() * 1000), self.n))
        with open(path + ".tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "data": envelope.content.decode("utf-8", "replace")}, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


if __name__ == "__main__":
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Store(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
