"""A subnet is public when its route table (its own, else the VPC's main one) routes to an internet gateway."""

from provisioning.worker.default_network import route_table_of, routes_to_internet

MAIN = {"Associations": [{"Main": True}], "Routes": [{"GatewayId": "igw-1", "State": "active"}]}
PRIVATE = {"Associations": [{"SubnetId": "subnet-b"}], "Routes": [{"GatewayId": "local"}]}


def test_a_subnet_without_its_own_table_uses_the_main_one():
    assert route_table_of("subnet-a", [PRIVATE, MAIN]) is MAIN
    assert routes_to_internet(route_table_of("subnet-a", [PRIVATE, MAIN]))


def test_a_subnet_with_its_own_table_without_a_gateway_is_not_public():
    assert route_table_of("subnet-b", [PRIVATE, MAIN]) is PRIVATE
    assert not routes_to_internet(route_table_of("subnet-b", [PRIVATE, MAIN]))


def test_a_blackholed_gateway_route_does_not_count():
    assert not routes_to_internet({"Routes": [{"GatewayId": "igw-1", "State": "blackhole"}]})
