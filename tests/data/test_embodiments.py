"""Embodiment files: robots as YAML, found beside the spec, in the user's folder or among the shipped testbed
robots; a bad file is an InputError naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablate.data.embodiments import EMBODIMENTS, SHIPPED, embodiment
from ablate.errors import InputError

ROBOTS = Path(__file__).with_name("robots")
ROBOTIQ_SITE = (0.0, 0.0, 0.2075, 0.0, 0.0, -0.70710678, 0.70710678)

# The registry as it was in Python before embodiment files (ablate/data/embodiments.py): name → (joint names,
# robosuite gripper, gripper state dims, robosuite model, the controller site in `right_hand`'s frame).
TODAY = {
    "Panda": (
        tuple(f"joint{i}" for i in range(1, 8)),
        "PandaGripper",
        2,
        "panda",
        (0.0, 0.0, 0.097, 0.0, 0.0, -0.70710678, 0.70710678),
    ),
    "UR5e": (
        (
            "shoulder_pan_joint",
            "shoulder_lift_joint",
            "elbow_joint",
            "wrist_1_joint",
            "wrist_2_joint",
            "wrist_3_joint",
        ),
        "Robotiq140Gripper",
        6,
        "ur5e",
        ROBOTIQ_SITE,
    ),
    "Kinova3": (tuple(f"Actuator{i}" for i in range(1, 8)), "Robotiq140Gripper", 6, "kinova3", ROBOTIQ_SITE),
    "IIWA": (tuple(f"joint_{i}" for i in range(1, 8)), "Robotiq140Gripper", 6, "iiwa", ROBOTIQ_SITE),
}


def test_the_shipped_files_are_the_testbed_registry():
    assert list(EMBODIMENTS) == ["Panda", "UR5e", "Kinova3", "IIWA"]
    for name, (joints, gripper, gripper_dims, mjcf, site) in TODAY.items():
        e = embodiment(name)
        assert e is EMBODIMENTS[name] and e.name == name
        assert (e.joint_names, e.arm_dof, e.gripper, e.gripper_dims) == (joints, len(joints), gripper, gripper_dims)
        assert e.state_dim == len(joints) + gripper_dims
        assert e.cameras == ("agentview", "robot0_eye_in_hand")
        assert e.eef_convention == "robosuite site frame, base = world, quaternion xyzw (w >= 0)"
        (arm,) = e.arms
        assert arm.gripper is not None and (arm.gripper.state_dims, arm.gripper.action_dims) == (gripper_dims, 1)
        k = arm.kinematics
        assert k is not None and (k.mjcf, k.urdf, k.base_link, k.tool_link) == (
            f"robosuite:{mjcf}",
            None,
            "",
            "right_hand",
        )
        assert k.tool_offset == site and k.base_offset == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0) and k.joints is None
        assert e.file == SHIPPED / f"{name}.yaml"


def test_a_file_with_a_urdf_loads_with_its_path_resolved():
    e = embodiment(ROBOTS / "three_joint.yaml")
    assert (e.name, e.joint_names, e.arm_dof, e.gripper_dims, e.state_dim, e.cameras) == (
        "three_joint",
        ("yaw", "pitch", "elbow"),
        3,
        1,
        4,
        (),
    )
    k = e.arms[0].kinematics
    assert k is not None and k.urdf == str((ROBOTS / "three_joint.urdf").resolve())  # beside the file
    assert e.gripper == "" and e.grippers[0].name == "gripper"  # no robosuite model: not a testbed robot


def test_a_bimanual_rig_has_two_arms_and_two_grippers():
    e = embodiment(ROBOTS / "bimanual.yaml")
    assert [a.name for a in e.arms] == ["left", "right"]
    assert e.joint_names == ("left_yaw", "left_pitch", "left_elbow", "right_yaw", "right_pitch", "right_elbow")
    assert [g.name for g in e.grippers] == ["left_gripper", "right_gripper"]
    assert (e.arm_dof, e.gripper_dims, e.gripper_action_dims, e.state_dim) == (6, 3, 2, 9)
    assert e.arms[1].kinematics is not None and e.arms[1].kinematics.base_offset == (0, -0.4, 0, 0, 0, 1, 0)
    assert e.arms[0].kinematics is not None and e.arms[0].kinematics.base_offset == (0, 0.4, 0, 0, 0, 0, 1)


def _robot(folder: Path, name: str, joints: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    names = ", ".join(f"j{i}" for i in range(joints))
    path.write_text(f"name: {name}\narms: [{{joints: [{names}], gripper: {{state_dims: 1}}}}]\neef_convention: x\n")
    return path


def test_lookup_order_spec_folder_then_user_folder_then_shipped(tmp_path, monkeypatch):
    spec, user = tmp_path / "spec" / "embodiments", tmp_path / "user"
    monkeypatch.setenv("ABLATE_EMBODIMENTS", str(user))
    _robot(user, "SO100", 5)
    assert embodiment("SO100", search=[spec]).arm_dof == 5  # the user folder
    _robot(spec, "SO100", 4)
    assert embodiment("SO100", search=[spec]).arm_dof == 4  # beside the spec beats the user folder
    assert embodiment("SO100").arm_dof == 5  # without the spec's folder: the user's
    _robot(user, "Panda", 3)
    assert embodiment("Panda").arm_dof == 3  # the user's Panda beats the shipped one
    _robot(spec, "Panda", 2)
    assert embodiment("Panda", search=[spec]).arm_dof == 2
    assert embodiment("UR5e", search=[spec]) is EMBODIMENTS["UR5e"]  # shipped, found last
    other = _robot(tmp_path / "elsewhere", "rig", 6)
    assert embodiment(other).arm_dof == 6 and embodiment(str(other)).arm_dof == 6  # an explicit path
    monkeypatch.chdir(tmp_path)
    assert embodiment("elsewhere/rig.yaml").arm_dof == 6  # relative to the working directory


def test_the_projects_embodiments_folder_comes_before_the_user_folder(tmp_path, monkeypatch):
    """A project keeps its robots in `embodiments/` beside its recipes/ and experiments/: found from the folder a
    run or command starts in, before the user's folder."""
    user = tmp_path / "user"
    monkeypatch.setenv("ABLATE_EMBODIMENTS", str(user))
    _robot(user, "SO100", 5)
    monkeypatch.chdir(tmp_path)
    assert embodiment("SO100").arm_dof == 5
    _robot(tmp_path / "embodiments", "SO100", 6)
    assert embodiment("SO100").arm_dof == 6


def test_the_user_folder_defaults_to_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ABLATE_EMBODIMENTS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    _robot(tmp_path / ".config" / "ablate" / "embodiments", "aloha", 12)
    assert embodiment("aloha").arm_dof == 12


def test_an_unknown_name_lists_what_is_known_and_where_it_looked(tmp_path, monkeypatch):
    spec, user = tmp_path / "spec", tmp_path / "user"
    monkeypatch.setenv("ABLATE_EMBODIMENTS", str(user))
    _robot(spec, "SO100", 5)
    with pytest.raises(KeyError) as e:  # a KeyError, as callers catch it, and an InputError
        embodiment("SO10", search=[spec])
    assert isinstance(e.value, InputError)
    message = str(e.value)
    assert message == e.value.args[0]
    assert message.startswith(
        "unknown embodiment 'SO10' (did you mean 'SO100'?); known: Panda, UR5e, Kinova3, IIWA, SO100."
    )
    project = Path.cwd() / "embodiments"
    assert (
        f"Looked for SO10.yaml in: {spec} (given); {project} (the project's, in the current folder); "
        f"{user} (user folder, $ABLATE_EMBODIMENTS); " in message
    )
    assert "(shipped)" in message


def test_a_file_found_by_name_must_carry_that_name(tmp_path):
    path = _robot(tmp_path, "SO100", 5)
    path.rename(tmp_path / "so100.yaml")
    with pytest.raises(
        InputError, match=rf"{tmp_path / 'so100.yaml'}: name: is 'SO100', but the file is found as 'so100'"
    ):
        embodiment("so100", search=[tmp_path])


GOOD = """\
name: bad
arms:
  - name: main
    joints: [a, b]
    gripper: {state_dims: 1}
    kinematics: {urdf: URDF, tool_link: tool}
eef_convention: base frame
"""


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("eef_convention:", "eef_conventon:", "eef_conventon", "unknown key (did you mean 'eef_convention'?)"),
        (
            "gripper: {state_dims: 1}",
            "gripper: {state_dim: 1}",
            "arms[0].gripper.state_dim",
            "did you mean 'state_dims'",
        ),
        (
            "tool_link: tool}",
            "tool_link: tool, tool_ofset: [0, 0, 1]}",
            "arms[0].kinematics.tool_ofset",
            "did you mean 'tool_offset'",
        ),
        ("gripper: {state_dims: 1}", "gripper: {state_dims: two}", "arms[0].gripper.state_dims", "valid integer"),
        ("gripper: {state_dims: 1}", "gripper: {state_dims: 0}", "arms[0].gripper.state_dims", "greater than 0"),
        ("    joints: [a, b]\n", "", "arms[0].joints", "required key is missing"),
        ("joints: [a, b]", "joints: []", "arms[0].joints", "at least 1 item"),
        ("joints: [a, b]", "joints: a", "arms[0].joints", "valid tuple"),
        ("urdf: URDF", "urdf: missing.urdf", "arms[0].kinematics.urdf", "no such file: "),
        ("urdf: URDF", "urdf: URDF, mjcf: 'robosuite:panda'", "arms[0].kinematics", "exactly one of urdf or mjcf"),
        ("tool_link: tool}", "tool_link: tool, tool_offset: [0, 0]}", "arms[0].kinematics.tool_offset", "3 numbers"),
        (
            "tool_link: tool}",
            "tool_link: tool, base_offset: [0, 0, 0, 0, 0, 0, 2]}",
            "arms[0].kinematics.base_offset",
            "norm 1",
        ),
        ("joints: [a, b]", "joints: [a, a]", "", "joint names must be unique; repeated: a"),
        (
            "tool_link: tool}",
            "tool_link: tool, joints: [x]}",
            "arms[0]",
            "kinematics.joints names 1 joints, the arm has 2",
        ),
        ("name: bad\n", "", "name", "required key is missing"),
    ],
)
def test_a_bad_file_is_an_input_error_naming_file_and_key(tmp_path, old, new, key, message):
    path, urdf = tmp_path / "bad.yaml", str(ROBOTS / "three_joint.urdf")
    path.write_text(GOOD.replace("URDF", urdf))
    embodiment(path)  # the unedited file is fine
    assert old in GOOD
    path.write_text(GOOD.replace(old, new).replace("URDF", urdf))
    with pytest.raises(InputError) as e:
        embodiment(path)
    where = f"{path}: {key}:" if key else f"{path}:"
    assert any(str(p).startswith(where) and message in str(p) for p in e.value.problems), str(e.value)


def test_an_unreadable_file_is_an_input_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match=rf"{path}:\d+: not valid YAML"):
        embodiment(path)
    path.write_text("- a list\n")
    with pytest.raises(InputError, match=rf"{path}: expected a mapping of name, arms, eef_convention, cameras"):
        embodiment(path)
    with pytest.raises(InputError, match=rf"{tmp_path / 'absent.yaml'}: no such embodiment file"):
        embodiment(tmp_path / "absent.yaml")
