"""Runs the AWS API emulator (moto) answering one request at a time.

moto's own server is threaded and moto does not lock items: two concurrent DynamoDB conditional
writes can both pass their condition there, where DynamoDB makes each conditional write atomic.
Serialising requests restores the guarantee the failover lease relies on.
Usage: emulator-server.py HOST PORT
"""
import os
import sys

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)
