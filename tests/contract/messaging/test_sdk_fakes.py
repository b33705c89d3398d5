"""The Service Bus SDK fakes cannot drift from the SDK: same method parameters, names and exceptions."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from azure.servicebus import NEXT_AVAILABLE_SESSION

from shared.messaging.local import LocalTransport
from tests.contract.messaging.support import WORK, message
from tests.fakes.servicebus_sdk import (
    REAL_CLASSES,
    FakeServiceBus,
    FakeServiceBusAdministrationClient,
    RealMethod,
    real_admin_members,
)

MIRRORED = [
    pytest.param(fake, name, id=f"{fake.__name__}.{name}")
    for fake in REAL_CLASSES
    for name, member in vars(fake).items()
    if hasattr(member, "__mirrors__")
]


def public_names(owner: object) -> set[str]:
    return {name for name in dir(owner) if not name.startswith("_")}


@pytest.mark.parametrize(("fake", "name"), MIRRORED)
def test_each_fake_method_takes_what_the_real_method_takes(fake: type, name: str) -> None:
    # GIVEN a fake method and the real SDK method it mirrors
    method = getattr(fake, name)
    real: RealMethod = method.__mirrors__
    fake_parameters = inspect.signature(method).parameters
    real_parameters = real.signature.parameters
    # THEN each parameter of the fake is the real one's, of the same kind (keyword-only stays so)
    for parameter in fake_parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            assert parameter.kind in {p.kind for p in real_parameters.values()}, (
                f"{real.qualname}: *{parameter}"
            )
            continue
        assert parameter.name in real_parameters, f"{real.qualname} has no parameter {parameter.name!r}"
        assert parameter.kind == real_parameters[parameter.name].kind, f"{real.qualname}({parameter.name})"
    # AND every parameter the real one requires is there, and both are async or both are not
    fixed = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    required = [p.name for p in real_parameters.values() if p.default is p.empty and p.kind in fixed]
    assert [n for n in required if n not in fake_parameters] == []
    assert inspect.iscoroutinefunction(method) == real.is_async


def test_every_fake_class_mirrors_all_the_sdk_methods_the_adapter_calls() -> None:
    # GIVEN the fakes THEN the methods ServiceBusTransport calls are mirrored, not merely present
    mirrored = {(fake.__name__, name) for fake, name in (p.values for p in MIRRORED)}
    assert {
        ("FakeServiceBusClient", "get_queue_sender"),
        ("FakeServiceBusClient", "get_queue_receiver"),
        ("FakeServiceBusClient", "close"),
        ("FakeServiceBusSender", "send_messages"),
        ("FakeServiceBusSender", "close"),
        ("FakeServiceBusReceiver", "__aenter__"),
        ("FakeServiceBusReceiver", "__aexit__"),
        ("FakeServiceBusReceiver", "receive_messages"),
        ("FakeServiceBusReceiver", "peek_messages"),
        ("FakeServiceBusReceiver", "complete_message"),
        ("FakeServiceBusReceiver", "abandon_message"),
        ("FakeServiceBusReceiver", "dead_letter_message"),
        ("FakeServiceBusReceiver", "close"),
        ("FakeServiceBusSession", "renew_lock"),
        ("FakeServiceBusAdministrationClient", "get_queue_runtime_properties"),
        ("FakeServiceBusAdministrationClient", "close"),
    } <= mirrored


async def test_every_public_name_of_a_fake_exists_on_the_real_sdk_class(broker: LocalTransport) -> None:
    # GIVEN fakes with live instances (some attributes are set per instance), and a received message
    namespace = FakeServiceBus(broker)
    await broker.send(WORK, [message("m1", application_properties={"k": "v"})])
    receiver = namespace.client.get_queue_receiver(WORK, max_wait_time=0.05)
    async with receiver:
        [received] = await receiver.receive_messages(max_wait_time=0.05)
        runtime = await namespace.admin.get_queue_runtime_properties(WORK)
        instances: dict[type, Any] = {
            type(namespace.client): namespace.client,
            type(namespace.client.get_queue_sender(WORK)): namespace.client.get_queue_sender(WORK),
            type(receiver): receiver,
            type(received): received,
            type(runtime): runtime,
            type(namespace.admin): namespace.admin,
        }
    session = namespace.client.get_queue_receiver("orders", session_id=NEXT_AVAILABLE_SESSION).session
    instances[type(session)] = session  # not opened: its public surface is all on the class
    # THEN each public name on a fake (class or instance) is a public name of the real class
    for fake, real in REAL_CLASSES.items():
        real_names = (
            real_admin_members() if fake is FakeServiceBusAdministrationClient else public_names(real)
        )
        fake_names = public_names(fake) | public_names(instances.get(fake, fake))
        assert fake_names - real_names == set(), f"{fake.__name__} invents {fake_names - real_names}"


async def test_a_call_the_real_sdk_would_refuse_is_refused_by_the_fake(broker: LocalTransport) -> None:
    # GIVEN a fake client
    client = FakeServiceBus(broker).client
    # WHEN the adapter passes a keyword the real method does not name (its **kwargs would swallow it)
    with pytest.raises(TypeError, match=r"names no parameter \['max_wait'\]"):
        client.get_queue_receiver(WORK, max_wait=1.0)
    # WHEN it passes a keyword-only parameter positionally, or leaves out a required one
    with pytest.raises(TypeError):
        client.get_queue_receiver(WORK, None)
    receiver = client.get_queue_receiver(WORK)
    with pytest.raises(TypeError):
        await receiver.complete_message()
