"""An aws-cli plugin (loaded through the `[plugins]` section of the config file cli.py writes):
validates every response the cli receives against the service model, as the boto3 clients do,
and appends the violations, one JSON string a line, to the file named by $KILN_CONTRACT_LOG."""

import json
import os

from kilntest import contract, s3


def _after_call(http_response, model, **_):
    protocol = model.service_model.protocol
    if model.service_model.service_name == "s3":
        found = s3.check_http(http_response, model)
    else:
        found = contract.check_response(model.service_model.service_name, model.name,
                                        http_response.status_code, http_response.headers,
                                        http_response.content, protocol)
        if protocol not in (contract.JSON, contract.CBOR):
            found.append(f"aws cli used protocol {protocol}")
    if found and os.environ.get("KILN_CONTRACT_LOG"):
        with open(os.environ["KILN_CONTRACT_LOG"], "a") as log:
            for v in found:
                log.write(json.dumps("aws cli: " + v) + "\n")


def awscli_initialize(event_hooks):
    event_hooks.register("after-call", _after_call)
