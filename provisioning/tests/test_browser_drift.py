"""The inventory shows drift: what AWS has now that differs from what the setup says, changed behind the wizard's
back with plain boto3, with the way to fix it (re-run the step), and a re-run brings it back in line."""

import pytest
from playwright.sync_api import expect

from provisioning.models import DriftCheck
from provisioning.tests.checks import provision_in_thread

pytestmark = pytest.mark.browser


def change_behind_the_wizards_back(aws):
    aws.codedeploy.update_deployment_group(
        applicationName="shop-app",
        currentDeploymentGroupName="shop-dg",
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 60},
        },
    )
    aws.ecs.update_service(cluster="shop-cluster", service="shop-service", desiredCount=2)
    balancer = aws.elbv2.describe_load_balancers(Names=["shop-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    (test,) = [
        item for item in aws.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"] if item["Port"] == 8080
    ]
    aws.elbv2.modify_listener(ListenerArn=test["ListenerArn"], Port=8181)
    declaration = aws.codepipeline.get_pipeline(name="shop-pipeline")["pipeline"]
    declaration["stages"][0]["actions"][1]["configuration"]["ImageTag"] = "v9"
    aws.codepipeline.update_pipeline(pipeline=declaration)


def check_for_drift(page, live_server):
    page.goto(f"{live_server.url}/setup/shop/inventory/")
    page.get_by_role("button", name="Check for drift").click()
    expect(page.locator("#drift-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_role("button", name="Check for drift")).to_be_enabled()


def drift_of(page, kind, name):
    """What the drift list says of one resource."""
    return page.locator(f'#inventory [data-drift-of="{kind} {name}"]')


def state_of(page, kind, name):
    """The inventory row's drift column."""
    return page.locator(f'tr[data-resource="{kind} {name}"] td.drift')


def test_the_inventory_shows_what_was_changed_behind_the_wizards_back_and_a_rerun_puts_it_back(
    page, live_server, admin_user, sign_in, aws, sandbox, worker
):
    provision_in_thread(sandbox, "shop", "--until", "pipeline", "--sample-image")
    sign_in(admin_user)
    check_for_drift(page, live_server)
    expect(page.locator("#drift-status")).to_contain_text("In line")

    change_behind_the_wizards_back(aws)
    check_for_drift(page, live_server)

    expect(page.locator("#drift-status")).to_contain_text("4 items differ from the setup")
    group = drift_of(page, "codedeploy.deployment-group", "shop-app/shop-dg")
    expect(state_of(page, "codedeploy.deployment-group", "shop-app/shop-dg")).to_have_attribute("data-drift", "drifted")
    expect(group).to_contain_text(
        "reroute: AWS has wait up to 30 minutes for someone to reroute, the setup says immediately"
    )
    expect(group.get_by_role("link", name="Fix: re-run the step CodeDeploy")).to_be_visible()
    expect(drift_of(page, "ecs.service", "shop-cluster/shop-service")).to_contain_text(
        "tasks: AWS has 2, the setup says 1"
    )
    expect(drift_of(page, "elbv2.listener", "shop-alb:8080")).to_contain_text("port: AWS has 8181, the setup says 8080")
    expect(drift_of(page, "codepipeline.pipeline", "shop-pipeline")).to_contain_text(
        "stages[Source].actions[Image].configuration.ImageTag: AWS has v9, the setup says latest"
    )
    expect(state_of(page, "ecs.cluster", "shop-cluster")).to_have_attribute("data-drift", "not compared")

    group.get_by_role("link", name="Fix: re-run the step CodeDeploy").click()
    page.get_by_role("button", name="Run this step again").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run .checklist")).to_contain_text(
        "Changed deployment group shop-dg: reroute from wait up to 30 minutes for someone to reroute to immediately"
    )
    ready = aws.codedeploy.get_deployment_group(applicationName="shop-app", deploymentGroupName="shop-dg")[
        "deploymentGroupInfo"
    ]["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready["actionOnTimeout"] == "CONTINUE_DEPLOYMENT"

    check_for_drift(page, live_server)
    expect(page.locator("#drift-status")).to_contain_text("3 items differ from the setup")
    expect(state_of(page, "codedeploy.deployment-group", "shop-app/shop-dg")).to_have_attribute("data-drift", "in line")
    expect(drift_of(page, "codedeploy.deployment-group", "shop-app/shop-dg")).to_have_count(0)
    assert DriftCheck.objects.count() == 3
