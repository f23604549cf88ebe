"""The embodiment registry: everything robot-specific lives here, one entry per robot.

EEF pose convention for all testbed robots: robosuite's controller site frame (`robot0_eef_pos`,
`robot0_eef_quat_site`), position in metres in the scene's world frame (the robot base sits at a fixed offset
with identity rotation), quaternion xyzw with w >= 0. (`robot0_eef_quat` is the body frame, 90° off: never used.)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Embodiment:
    name: str
    arm_dof: int
    joint_names: tuple[str, ...]
    gripper: str  # robosuite gripper model
    gripper_dims: int  # entries of the gripper's joint-position observation
    mjcf: str = ""  # robosuite's robot model folder (models/assets/robots/<mjcf>/robot.xml), for kinematics
    # The controller site in the frame of the arm's last body (`right_hand`): x y z qx qy qz qw. It depends on
    # the gripper; measured in robosuite and checked by tests/data/test_kinematics.py.
    hand_to_site: tuple[float, ...] = (0.0, 0.0, 0.2075, 0.0, 0.0, -0.70710678, 0.70710678)
    cameras: tuple[str, ...] = ("agentview", "robot0_eye_in_hand")
    eef_convention: str = "robosuite site frame, base = world, quaternion xyzw (w >= 0)"

    @property
    def state_dim(self) -> int:
        return self.arm_dof + self.gripper_dims


EMBODIMENTS: dict[str, Embodiment] = {
    e.name: e
    for e in (
        Embodiment(
            "Panda",
            7,
            tuple(f"joint{i}" for i in range(1, 8)),
            "PandaGripper",
            2,
            "panda",
            (0.0, 0.0, 0.097, 0.0, 0.0, -0.70710678, 0.70710678),
        ),
        # robosuite's default Robotiq85 lets scripted grasps slip (UR5e: 0–1 of 6 lifts, Kinova3: 3 of 5); with
        # the Robotiq140 both lift 20 of 20, so the testbed's UR5e and Kinova3 carry it.
        Embodiment(
            "UR5e",
            6,
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
        ),
        Embodiment("Kinova3", 7, tuple(f"Actuator{i}" for i in range(1, 8)), "Robotiq140Gripper", 6, "kinova3"),
        Embodiment("IIWA", 7, tuple(f"joint_{i}" for i in range(1, 8)), "Robotiq140Gripper", 6, "iiwa"),
    )
}


def embodiment(name: str) -> Embodiment:
    if name not in EMBODIMENTS:
        hint = difflib.get_close_matches(name, list(EMBODIMENTS), n=1)
        raise KeyError(
            f"unknown embodiment '{name}'"
            + (f" (did you mean '{hint[0]}'?)" if hint else "")
            + f"; known: {', '.join(EMBODIMENTS)}"
        )
    return EMBODIMENTS[name]
