//! Device classification under Article 2's definitions.
//!
//! The Convention defines a *mine* by how it is set off and where it is placed (Art. 2(2)), an
//! *anti-personnel mine* by who sets it off and whom it harms (Art. 2(1)), and an *anti-handling
//! device* by what activates it (Art. 2(3)). The classifier applies those definitions to a
//! structured description and says `prohibited`, `permitted` or `contested`; where States and
//! experts read the text differently (anti-vehicle mines that a person can set off through a
//! tripwire, a tilt rod, a low pressure threshold or an over-sensitive anti-handling device), it
//! reports `contested` and spells out both readings.
//!
//! Pressure thresholds are read in three bands (minimum operating force, in kilograms):
//! below [`PERSON_PRESSURE_KG`] (50 kg) a person's ordinary weight sets the fuze off, so the
//! device is designed to be exploded by a person; from 50 kg to below [`VEHICLE_PRESSURE_KG`]
//! (150 kg) an adult, a loaded soldier or someone jumping may set it off, which is contested for an
//! anti-vehicle design; at 150 kg and above only a vehicle can. These bands are the engine's
//! documented policy, not words of the Convention, which names no figure.

use serde::{Deserialize, Serialize};

use crate::{Basis, TreatyError};

/// Below this minimum operating force (kg), a pressure fuze is set off by a person's weight.
pub const PERSON_PRESSURE_KG: f64 = 50.0;
/// At or above this minimum operating force (kg), only a vehicle sets a pressure fuze off.
pub const VEHICLE_PRESSURE_KG: f64 = 150.0;

/// Who or what a trigger responds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// A person.
    Person,
    /// A vehicle.
    Vehicle,
}

/// What a device is designed to harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// People: incapacitate, injure or kill one or more persons.
    Persons,
    /// Vehicles (tanks, trucks, armoured vehicles).
    Vehicles,
}

/// What sets a device off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Trigger {
    /// The mere presence of a person or vehicle (e.g. a seismic, acoustic or infrared sensor).
    Presence {
        /// Whose presence.
        of: Actor,
        /// The sensor, for the record.
        #[serde(default)]
        sensor: Option<String>,
    },
    /// Proximity of a person or vehicle (e.g. a magnetic influence fuze).
    Proximity {
        /// Whose proximity.
        of: Actor,
        /// The sensor, for the record.
        #[serde(default)]
        sensor: Option<String>,
    },
    /// Direct contact by a person or vehicle (other than pressure, tripwire or tilt rod).
    Contact {
        /// Whose contact.
        of: Actor,
    },
    /// A pressure fuze with its minimum operating force in kilograms.
    Pressure {
        /// Minimum force that fires the fuze, kg.
        threshold_kg: f64,
    },
    /// A tripwire (pull or tension-release).
    Tripwire {
        /// Pull that fires it, kg, if known.
        #[serde(default)]
        pull_kg: Option<f64>,
    },
    /// A tilt rod (a lever that fires when pushed over).
    TiltRod {
        /// Lateral force that fires it, kg, if known.
        #[serde(default)]
        force_kg: Option<f64>,
    },
    /// Fired by an operator's command (wire, radio).
    Command,
    /// Fired by a timer.
    Timer,
    /// Fired by its own impact when it is delivered (the point-detonating fuze of a submunition
    /// such as a DPICM grenade, of a shell or a bomb).
    Impact,
}

impl Trigger {
    fn describe(&self) -> String {
        match self {
            Trigger::Presence { of, .. } => format!("the presence of a {}", actor(*of)),
            Trigger::Proximity { of, .. } => format!("the proximity of a {}", actor(*of)),
            Trigger::Contact { of } => format!("contact with a {}", actor(*of)),
            Trigger::Pressure { threshold_kg } => format!("pressure of {threshold_kg} kg or more"),
            Trigger::Tripwire { .. } => "a tripwire".into(),
            Trigger::TiltRod { .. } => "a tilt rod".into(),
            Trigger::Command => "command".into(),
            Trigger::Timer => "a timer".into(),
            Trigger::Impact => "its own impact on delivery".into(),
        }
    }

    /// How a person relates to this trigger.
    fn person_activation(&self) -> PersonActivation {
        match self {
            Trigger::Presence { of, .. }
            | Trigger::Proximity { of, .. }
            | Trigger::Contact { of } => match of {
                Actor::Person => PersonActivation::ByDesign,
                Actor::Vehicle => PersonActivation::No,
            },
            Trigger::Pressure { threshold_kg } if *threshold_kg < PERSON_PRESSURE_KG => {
                PersonActivation::ByDesign
            }
            Trigger::Pressure { threshold_kg } if *threshold_kg < VEHICLE_PRESSURE_KG => {
                PersonActivation::Possible
            }
            Trigger::Pressure { .. } => PersonActivation::No,
            Trigger::Tripwire { .. } | Trigger::TiltRod { .. } => PersonActivation::Possible,
            Trigger::Command | Trigger::Timer | Trigger::Impact => PersonActivation::No,
        }
    }

    fn victim_activated(&self) -> bool {
        !matches!(self, Trigger::Command | Trigger::Timer | Trigger::Impact)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonActivation {
    /// A person sets it off in the ordinary course (presence, contact, light pressure).
    ByDesign,
    /// A person can set it off, though the fuze may be meant for vehicles.
    Possible,
    /// A person does not set it off.
    No,
}

fn actor(a: Actor) -> &'static str {
    match a {
        Actor::Person => "person",
        Actor::Vehicle => "vehicle",
    }
}

/// What activates an anti-handling device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AntiHandlingActivation {
    /// Only an attempt to tamper with or otherwise intentionally disturb the mine (Art. 2(3)).
    IntentionalDisturbance,
    /// Also something else: unintentional contact, vibration, a person's proximity...
    Otherwise,
}

/// An anti-handling device fitted to a mine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntiHandling {
    /// What activates it.
    pub activation: AntiHandlingActivation,
    /// The device, for the record.
    #[serde(default)]
    pub description: Option<String>,
}

/// A structured description of a device: the JSON input of `demine treaty classify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDescription {
    /// Name or model, e.g. `"PMN-2"`.
    pub name: String,
    /// Free-text description, for the record.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the facts come from, for the record.
    #[serde(default)]
    pub source: Option<String>,
    /// How many of this item a mixed system holds, for the record.
    #[serde(default)]
    pub count: Option<u32>,
    /// Whether it is designed to be placed under, on or near the ground or another surface area
    /// (Art. 2(2)); default true.
    #[serde(default = "default_true")]
    pub emplaced: bool,
    /// Whether it is delivered remotely (scattered by aircraft, artillery, rockets or a ground
    /// dispenser) to come to rest on the ground: a way of placing it, so it counts as emplaced.
    #[serde(default)]
    pub remotely_delivered: bool,
    /// For a device with a switch between firing modes (a man-in-the-loop system with a
    /// battlefield-override setting): each mode and what sets the device off in it. The device
    /// is judged by its worst mode; `triggers` may then be left empty.
    #[serde(default)]
    pub modes: Vec<Mode>,
    /// What sets it off. Required unless `components` is given.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// What it is designed to harm. Required unless `components` is given.
    #[serde(default)]
    pub designed_to_harm: Vec<Target>,
    /// An anti-handling device, if fitted.
    #[serde(default)]
    pub anti_handling: Option<AntiHandling>,
    /// Whether it destroys itself after a set time.
    #[serde(default)]
    pub self_destruct: bool,
    /// Whether it deactivates itself (e.g. a battery that runs down).
    #[serde(default)]
    pub self_deactivation: bool,
    /// For a mixed system (a canister, dispenser or cluster of mines): the items it holds.
    #[serde(default)]
    pub components: Vec<DeviceDescription>,
    /// The verdict the author expects (used by the example tests; ignored by the classifier).
    #[serde(default)]
    pub expected_verdict: Option<Verdict>,
}

fn default_true() -> bool {
    true
}

/// One firing mode of a switchable device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    /// The setting's name, e.g. `"man-in-the-loop"` or `"battlefield override"`.
    pub name: String,
    /// What sets the device off in this mode.
    pub triggers: Vec<Trigger>,
}

/// The classifier's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// An anti-personnel mine, or a system containing one: banned by Art. 1.
    Prohibited,
    /// Outside the ban (an anti-vehicle mine, or not a mine at all).
    Permitted,
    /// The text is read both ways in practice; see the readings.
    Contested,
}

impl Verdict {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Prohibited => "prohibited",
            Verdict::Permitted => "permitted",
            Verdict::Contested => "contested",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the device is in the Convention's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A mine designed to be exploded by a person (Art. 2(1)).
    AntiPersonnelMine,
    /// A mine designed to be exploded by a vehicle (Art. 2(2)).
    AntiVehicleMine,
    /// Not a mine in the Convention's sense (command-detonated, timed, not emplaced).
    NotAMine,
    /// A system judged by its components.
    MixedSystem,
}

/// One reading of a contested text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Who holds it.
    pub held_by: String,
    /// The verdict under it.
    pub verdict: Verdict,
    /// Its reasoning.
    pub reasons: Vec<Basis>,
}

/// The classifier's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The device's name, as given.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What it is in the Convention's terms.
    pub category: Category,
    /// The reasoning, each step with its article.
    pub reasons: Vec<Basis>,
    /// For a contested verdict: the readings, each with its verdict and reasons.
    pub readings: Vec<Reading>,
    /// For a mixed system: each component's classification.
    pub components: Vec<Classification>,
    /// For a switchable device: each mode's classification (the verdict is the worst).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<Classification>,
}

/// Classify a device under Article 2 (and Art. 1 for the consequence).
pub fn classify(device: &DeviceDescription) -> Result<Classification, TreatyError> {
    classify_at(device, "")
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn invalid(path: String, reason: impl Into<String>) -> TreatyError {
    TreatyError::InvalidDevice {
        path,
        reason: reason.into(),
    }
}

fn validate(device: &DeviceDescription, path: &str) -> Result<(), TreatyError> {
    if device.name.trim().is_empty() {
        return Err(invalid(join(path, "name"), "is empty"));
    }
    for (i, t) in device.triggers.iter().enumerate() {
        let at = |f: &str| join(path, &format!("triggers[{i}].{f}"));
        let check = |v: f64, f: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(
                    at(f),
                    format!("must be a positive number of kilograms, got {v}"),
                ))
            }
        };
        match t {
            Trigger::Pressure { threshold_kg } => check(*threshold_kg, "threshold_kg")?,
            Trigger::Tripwire { pull_kg: Some(v) } => check(*v, "pull_kg")?,
            Trigger::TiltRod { force_kg: Some(v) } => check(*v, "force_kg")?,
            _ => {}
        }
    }
    for (i, m) in device.modes.iter().enumerate() {
        if m.name.trim().is_empty() {
            return Err(invalid(join(path, &format!("modes[{i}].name")), "is empty"));
        }
        if m.triggers.is_empty() {
            return Err(invalid(
                join(path, &format!("modes[{i}].triggers")),
                "is missing or empty: say what sets the device off in this mode",
            ));
        }
        let mut probe = device.clone();
        probe.modes.clear();
        probe.components.clear();
        probe.triggers = m.triggers.clone();
        validate(&probe, &join(path, &format!("modes[{i}]")))?;
    }
    if !device.modes.is_empty() && !device.components.is_empty() {
        return Err(invalid(
            join(path, "modes"),
            "a mixed system has no modes of its own: give the modes on the component that has them",
        ));
    }
    if device.components.is_empty() && device.modes.is_empty() {
        if device.triggers.is_empty() {
            return Err(invalid(
                join(path, "triggers"),
                "is missing or empty: say what sets the device off (or list its components)",
            ));
        }
        if device.designed_to_harm.is_empty() {
            return Err(invalid(
                join(path, "designed_to_harm"),
                "is missing or empty: say whether it is designed to harm persons, vehicles or both",
            ));
        }
    }
    Ok(())
}

fn classify_at(device: &DeviceDescription, path: &str) -> Result<Classification, TreatyError> {
    validate(device, path)?;
    if !device.modes.is_empty() {
        Ok(classify_switchable(device))
    } else if device.components.is_empty() {
        Ok(classify_single(device))
    } else {
        classify_mixed(device, path)
    }
}

fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Permitted => 0,
        Verdict::Contested => 1,
        Verdict::Prohibited => 2,
    }
}

/// A device that can be switched between modes is what its worst mode makes it: a State that
/// keeps the switch keeps the capability, and the definition turns on what the device is
/// designed to do, in any setting it is designed to have.
fn classify_switchable(device: &DeviceDescription) -> Classification {
    let mut modes = Vec::with_capacity(device.modes.len() + 1);
    if !device.triggers.is_empty() {
        let mut own = device.clone();
        own.modes.clear();
        own.name = format!("{} (in every mode)", device.name);
        modes.push(classify_single(&own));
    }
    for m in &device.modes {
        let mut one = device.clone();
        one.modes.clear();
        one.triggers = m
            .triggers
            .iter()
            .chain(device.triggers.iter())
            .cloned()
            .collect();
        one.name = format!("{} ({} mode)", device.name, m.name);
        modes.push(classify_single(&one));
    }
    let worst = modes
        .iter()
        .max_by_key(|c| severity(c.verdict))
        .cloned()
        .unwrap_or_else(|| classify_single(device));
    let names: Vec<String> = device.modes.iter().map(|m| m.name.clone()).collect();
    let mut reasons = vec![Basis::new(
        "2(1)",
        format!(
            "{} can be switched between modes ({}): it is judged by its worst mode, {}, because the device is designed to work in every setting it offers and whoever holds it holds that capability",
            device.name,
            names.join(", "),
            worst.name
        ),
    )];
    reasons.extend(worst.reasons.iter().cloned());
    if worst.verdict == Verdict::Prohibited {
        reasons.push(Basis::new(
            "1(1)",
            "a setting in which the victim sets it off makes it an anti-personnel mine: keeping the device with that setting is stockpiling one; only a device that cannot be victim-activated (the setting removed) is outside the ban",
        ));
    }
    Classification {
        name: device.name.clone(),
        verdict: worst.verdict,
        category: worst.category,
        reasons,
        readings: worst.readings.clone(),
        components: Vec::new(),
        modes,
    }
}

fn classify_mixed(device: &DeviceDescription, path: &str) -> Result<Classification, TreatyError> {
    let mut components = Vec::with_capacity(device.components.len() + 1);
    if !device.triggers.is_empty() {
        // The carrier itself is set off by something: judge it too.
        if device.designed_to_harm.is_empty() {
            return Err(invalid(
                join(path, "designed_to_harm"),
                "is missing or empty although the system itself has triggers",
            ));
        }
        let mut own = device.clone();
        own.components.clear();
        own.name = format!("{} (the system itself)", device.name);
        components.push(classify_single(&own));
    }
    for (i, c) in device.components.iter().enumerate() {
        components.push(classify_at(c, &join(path, &format!("components[{i}]")))?);
    }
    let any = |v: Verdict| components.iter().any(|c| c.verdict == v);
    let verdict = if any(Verdict::Prohibited) {
        Verdict::Prohibited
    } else if any(Verdict::Contested) {
        Verdict::Contested
    } else {
        Verdict::Permitted
    };
    let mut reasons = vec![Basis::new(
        "2",
        format!(
            "{} is a mixed system: the Convention's definitions apply to each munition it holds, \
             so it is judged by its components",
            device.name
        ),
    )];
    for c in &components {
        if c.verdict == Verdict::Prohibited {
            reasons.push(Basis::new(
                "1(1)",
                format!(
                    "component {} is an anti-personnel mine: using, stockpiling, producing or \
                     transferring the system means doing so with anti-personnel mines",
                    c.name
                ),
            ));
        }
    }
    let protects = components
        .iter()
        .any(|c| c.category == Category::AntiVehicleMine);
    if verdict == Verdict::Prohibited && protects {
        reasons.push(Basis::new(
            "2(3)",
            "anti-personnel mines scattered among anti-vehicle mines to protect them are not \
             anti-handling devices: they are not part of, linked to, attached to or placed under \
             the mine, and a person's presence, not an attempt to tamper, sets them off; the \
             exception in the second sentence of Art. 2(1) does not reach them",
        ));
    }
    if verdict == Verdict::Contested {
        reasons.push(Basis::new(
            "2(1)",
            "no component is prohibited on every reading, but at least one is contested: the \
             system takes the contested verdict of its components",
        ));
    }
    if verdict == Verdict::Permitted {
        reasons.push(Basis::new(
            "2(1)",
            "no component is an anti-personnel mine on any reading: the system is outside the ban",
        ));
    }
    Ok(Classification {
        name: device.name.clone(),
        verdict,
        category: Category::MixedSystem,
        reasons,
        readings: Vec::new(),
        components,
        modes: Vec::new(),
    })
}

fn list(triggers: &[&Trigger]) -> String {
    triggers
        .iter()
        .map(|t| t.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

fn classify_single(device: &DeviceDescription) -> Classification {
    let name = device.name.clone();
    let harms_persons = device.designed_to_harm.contains(&Target::Persons);
    let victim: Vec<&Trigger> = device
        .triggers
        .iter()
        .filter(|t| t.victim_activated())
        .collect();
    let non_victim: Vec<&Trigger> = device
        .triggers
        .iter()
        .filter(|t| !t.victim_activated())
        .collect();

    if victim.is_empty() {
        let mut reasons = vec![Basis::new(
            "2(2)",
            format!(
                "set off only by {}: a mine is a munition designed to be exploded by the \
                     presence, proximity or contact of a person or a vehicle, so this is not a mine",
                list(&non_victim)
            ),
        )];
        if non_victim.iter().any(|t| matches!(t, Trigger::Impact)) {
            reasons.push(Basis::new(
                "2(2)",
                "an impact fuze fires the munition when it strikes its target or the ground on \
                 delivery; it is not designed to lie in wait for a person or vehicle. One that \
                 fails to explode is an unexploded remnant of war, to be cleared, but not a mine \
                 under this definition (submunitions such as DPICM grenades are banned by the \
                 Convention on Cluster Munitions of 2008, not by this Convention); if its fuze is \
                 designed to arm on landing and fire when disturbed, describe that trigger and it \
                 is judged as a mine",
            ));
        }
        reasons.extend([Basis::new(
            "2(1)",
            "not a mine, hence not an anti-personnel mine: the Convention does not ban it",
        )]);
        if harms_persons {
            reasons.push(Basis::new(
                "1(1)",
                "if it is ever rigged to be set off by its victim (a tripwire, a pressure or \
                 proximity fuze), it becomes an anti-personnel mine and its use is prohibited",
            ));
        }
        return Classification {
            name,
            verdict: Verdict::Permitted,
            category: Category::NotAMine,
            reasons,
            readings: Vec::new(),
            components: Vec::new(),
            modes: Vec::new(),
        };
    }

    if !device.emplaced && !device.remotely_delivered {
        return Classification {
            name,
            verdict: Verdict::Permitted,
            category: Category::NotAMine,
            reasons: vec![
                Basis::new(
                    "2(2)",
                    "not designed to be placed under, on or near the ground or other surface \
                     area: not a mine in the Convention's sense",
                ),
                Basis::new(
                    "2(1)",
                    "not a mine, hence not an anti-personnel mine (other law, such as Amended \
                     Protocol II of the CCW on booby-traps, may govern it)",
                ),
            ],
            readings: Vec::new(),
            components: Vec::new(),
            modes: Vec::new(),
        };
    }

    let by_design: Vec<&Trigger> = victim
        .iter()
        .copied()
        .filter(|t| t.person_activation() == PersonActivation::ByDesign)
        .collect();
    let possible: Vec<&Trigger> = victim
        .iter()
        .copied()
        .filter(|t| t.person_activation() == PersonActivation::Possible)
        .collect();

    let remote = device.remotely_delivered.then(|| {
        Basis::new(
            "2(2)",
            "delivered remotely (by aircraft, artillery, rocket or dispenser) to come to rest on \
             the ground: remote delivery is a way of placing a munition on or near the ground, \
             so it does not take a mine out of the definition",
        )
    });
    // Anti-personnel: a person sets it off by design, or a device designed to harm persons
    // carries any fuze a person can set off.
    if !by_design.is_empty() || (harms_persons && !possible.is_empty()) {
        let mut person: Vec<&Trigger> = by_design.clone();
        if harms_persons {
            person.extend(possible.iter().copied());
        }
        let mut reasons = vec![
            Basis::new(
                "2(2)",
                "a munition placed under, on or near the ground and exploded by a person or \
                 vehicle: a mine",
            ),
            Basis::new(
                "2(1)",
                format!(
                    "designed to be exploded by {}, which a person sets off, and it will \
                     incapacitate, injure or kill one or more persons: an anti-personnel mine",
                    list(&person)
                ),
            ),
        ];
        if !harms_persons {
            reasons.push(Basis::new(
                "2(1)",
                "although described as designed to harm vehicles, a fuze a person sets off in the \
                 ordinary course makes it an anti-personnel mine: the definition turns on what sets \
                 the mine off",
            ));
        }
        reasons.extend(remote.clone());
        if device.self_destruct || device.self_deactivation {
            let what = match (device.self_destruct, device.self_deactivation) {
                (true, true) => "self-destruction and self-deactivation",
                (true, false) => "self-destruction",
                _ => "self-deactivation",
            };
            reasons.push(Basis::new(
                "2(1)",
                format!(
                    "{what} does not change the definition: the Convention makes no exception for \
                     \"smart\" anti-personnel mines (an exemption for them was sought and refused \
                     in Oslo in 1997)"
                ),
            ));
        }
        if device.anti_handling.is_some() {
            reasons.push(Basis::new(
                "2(1)",
                "the anti-handling device does not matter: the exception in the second sentence of \
                 Art. 2(1) covers only mines designed to be detonated by a vehicle",
            ));
        }
        reasons.push(Basis::new(
            "1(1)",
            "never under any circumstances to use, develop, produce, acquire, stockpile, retain \
             or transfer anti-personnel mines: prohibited",
        ));
        return Classification {
            name,
            verdict: Verdict::Prohibited,
            category: Category::AntiPersonnelMine,
            reasons,
            readings: Vec::new(),
            components: Vec::new(),
            modes: Vec::new(),
        };
    }

    // Anti-vehicle: nothing a person sets off by design. Look for fuzes or anti-handling devices
    // a person can still set off.
    let vehicle: Vec<&Trigger> = victim
        .iter()
        .copied()
        .filter(|t| t.person_activation() == PersonActivation::No)
        .collect();
    let mut reasons = vec![Basis::new(
        "2(2)",
        format!(
            "a munition placed under, on or near the ground, designed to be exploded by {}: a mine",
            list(&victim)
        ),
    )];
    reasons.extend(remote);
    if !vehicle.is_empty() {
        reasons.push(Basis::new(
            "2(1)",
            format!(
                "designed to be exploded by {}, a vehicle and not a person: not an anti-personnel \
                 mine",
                list(&vehicle)
            ),
        ));
    }
    let mut concerns: Vec<String> = possible.iter().map(|t| sensitive_concern(t)).collect();
    match device.anti_handling.as_ref().map(|a| a.activation) {
        Some(AntiHandlingActivation::IntentionalDisturbance) => reasons.push(Basis::new(
            "2(3)",
            "its anti-handling device activates only on an attempt to tamper with or otherwise \
             intentionally disturb the mine; by the second sentence of Art. 2(1) a vehicle mine \
             so equipped is not an anti-personnel mine",
        )),
        Some(AntiHandlingActivation::Otherwise) => concerns.push(
            "its anti-handling device can also be activated other than by an intentional \
             disturbance (Art. 2(3)), so it is not an anti-handling device in the Convention's \
             sense and works as a fuze a person can set off unintentionally"
                .into(),
        ),
        None => {}
    }
    if device.self_destruct || device.self_deactivation {
        reasons.push(Basis::new(
            "2(1)",
            "self-destruction or self-deactivation does not bear on an anti-vehicle mine's status \
             under this Convention",
        ));
    }

    if concerns.is_empty() {
        reasons.push(Basis::new(
            "1(1)",
            "the prohibitions of Art. 1 reach anti-personnel mines only: permitted under this \
             Convention",
        ));
        return Classification {
            name,
            verdict: Verdict::Permitted,
            category: Category::AntiVehicleMine,
            reasons,
            readings: Vec::new(),
            components: Vec::new(),
            modes: Vec::new(),
        };
    }

    for c in &concerns {
        reasons.push(Basis::new("2(1)", format!("contested: {c}")));
    }
    let readings = vec![
        Reading {
            held_by: "the ICBL, the ICRC and many States Parties".into(),
            verdict: Verdict::Prohibited,
            reasons: vec![
                Basis::new(
                    "2(1)",
                    format!(
                        "a mine is judged by what can set it off, whatever its intended target: \
                         {}; a mine that a person can explode by an innocent act functions as an \
                         anti-personnel mine",
                        concerns.join("; ")
                    ),
                ),
                Basis::new(
                    "2(3)",
                    "the anti-handling exception covers only devices that react to intentional \
                     disturbance, so it cannot shelter a fuze that a person trips",
                ),
                Basis::new("1(1)", "so it falls under the prohibitions of Art. 1"),
            ],
        },
        Reading {
            held_by: "some States Parties that keep such anti-vehicle mines in service".into(),
            verdict: Verdict::Permitted,
            reasons: vec![
                Basis::new(
                    "2(1)",
                    "the mine is designed to be exploded by a vehicle; that a person may also set \
                     it off is incidental, and the definition of an anti-personnel mine looks at \
                     the design, not at every possible way of firing it",
                ),
                Basis::new(
                    "2(1)",
                    "the second sentence of Art. 2(1) confirms that vehicle mines are outside the \
                     ban; such mines are regulated by other law (CCW Amended Protocol II)",
                ),
            ],
        },
    ];
    Classification {
        name,
        verdict: Verdict::Contested,
        category: Category::AntiVehicleMine,
        reasons,
        readings,
        components: Vec::new(),
        modes: Vec::new(),
    }
}

fn sensitive_concern(t: &Trigger) -> String {
    match t {
        Trigger::Tripwire { .. } => {
            "a tripwire is typically set off by a person walking into it".into()
        }
        Trigger::TiltRod { .. } => {
            "a tilt rod can be pushed over by a person brushing past or stepping on it".into()
        }
        Trigger::Pressure { threshold_kg } => format!(
            "a pressure threshold of {threshold_kg} kg is below {VEHICLE_PRESSURE_KG} kg: an \
             adult, a loaded soldier or someone jumping may set it off"
        ),
        other => format!("{} can be set off by a person", other.describe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(triggers: Vec<Trigger>, harm: Vec<Target>) -> DeviceDescription {
        DeviceDescription {
            name: "test".into(),
            description: None,
            source: None,
            count: None,
            emplaced: true,
            remotely_delivered: false,
            modes: Vec::new(),
            triggers,
            designed_to_harm: harm,
            anti_handling: None,
            self_destruct: false,
            self_deactivation: false,
            components: Vec::new(),
            expected_verdict: None,
        }
    }

    fn pressure(kg: f64) -> Trigger {
        Trigger::Pressure { threshold_kg: kg }
    }

    fn articles(c: &Classification) -> Vec<&str> {
        c.reasons.iter().map(|b| b.article.as_str()).collect()
    }

    #[test]
    fn pressure_ap_mine_is_prohibited() {
        let c = classify(&device(vec![pressure(10.0)], vec![Target::Persons])).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
        assert_eq!(c.category, Category::AntiPersonnelMine);
        assert!(articles(&c).contains(&"2(1)"));
        assert!(articles(&c).contains(&"1(1)"));
    }

    #[test]
    fn self_destructing_ap_mine_is_prohibited() {
        let mut d = device(
            vec![Trigger::Tripwire { pull_kg: Some(0.5) }],
            vec![Target::Persons],
        );
        d.self_destruct = true;
        d.self_deactivation = true;
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
        assert!(
            c.reasons
                .iter()
                .any(|r| r.reason.contains("self-destruction"))
        );
    }

    #[test]
    fn command_detonated_is_not_a_mine() {
        let c = classify(&device(vec![Trigger::Command], vec![Target::Persons])).unwrap();
        assert_eq!(c.verdict, Verdict::Permitted);
        assert_eq!(c.category, Category::NotAMine);
        assert_eq!(articles(&c)[..2], ["2(2)", "2(1)"]);
        // The same munition on a tripwire is an anti-personnel mine.
        let c = classify(&device(
            vec![Trigger::Command, Trigger::Tripwire { pull_kg: None }],
            vec![Target::Persons],
        ))
        .unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
    }

    #[test]
    fn timer_only_is_not_a_mine() {
        let c = classify(&device(vec![Trigger::Timer], vec![Target::Vehicles])).unwrap();
        assert_eq!(c.category, Category::NotAMine);
    }

    #[test]
    fn av_mine_with_intentional_ahd_is_permitted() {
        let mut d = device(vec![pressure(200.0)], vec![Target::Vehicles]);
        d.anti_handling = Some(AntiHandling {
            activation: AntiHandlingActivation::IntentionalDisturbance,
            description: None,
        });
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Permitted);
        assert_eq!(c.category, Category::AntiVehicleMine);
        assert!(articles(&c).contains(&"2(3)"));
        assert!(c.readings.is_empty());
    }

    #[test]
    fn av_mine_with_unintentional_ahd_is_contested_with_both_readings() {
        let mut d = device(vec![pressure(200.0)], vec![Target::Vehicles]);
        d.anti_handling = Some(AntiHandling {
            activation: AntiHandlingActivation::Otherwise,
            description: None,
        });
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Contested);
        let verdicts: Vec<_> = c.readings.iter().map(|r| r.verdict).collect();
        assert_eq!(verdicts, [Verdict::Prohibited, Verdict::Permitted]);
    }

    #[test]
    fn tilt_rod_and_tripwire_on_av_mines_are_contested() {
        for t in [
            Trigger::TiltRod {
                force_kg: Some(1.7),
            },
            Trigger::Tripwire { pull_kg: None },
        ] {
            let c = classify(&device(vec![pressure(200.0), t], vec![Target::Vehicles])).unwrap();
            assert_eq!(c.verdict, Verdict::Contested);
            assert_eq!(c.readings.len(), 2);
        }
    }

    #[test]
    fn pressure_bands() {
        let v = |kg| {
            classify(&device(vec![pressure(kg)], vec![Target::Vehicles]))
                .unwrap()
                .verdict
        };
        assert_eq!(v(49.9), Verdict::Prohibited);
        assert_eq!(v(PERSON_PRESSURE_KG), Verdict::Contested);
        assert_eq!(v(149.9), Verdict::Contested);
        assert_eq!(v(VEHICLE_PRESSURE_KG), Verdict::Permitted);
        // A device designed to harm persons is anti-personnel even with a heavier fuze a person
        // can set off.
        let c = classify(&device(vec![pressure(100.0)], vec![Target::Persons])).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
    }

    #[test]
    fn person_sensor_on_vehicle_mine_is_prohibited() {
        let c = classify(&device(
            vec![Trigger::Presence {
                of: Actor::Person,
                sensor: Some("seismic".into()),
            }],
            vec![Target::Vehicles],
        ))
        .unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
    }

    #[test]
    fn not_emplaced_is_not_a_mine() {
        let mut d = device(
            vec![Trigger::Contact { of: Actor::Person }],
            vec![Target::Persons],
        );
        d.emplaced = false;
        assert_eq!(classify(&d).unwrap().category, Category::NotAMine);
    }

    #[test]
    fn mixed_system_is_judged_by_components() {
        let at = device(
            vec![Trigger::Proximity {
                of: Actor::Vehicle,
                sensor: Some("magnetic".into()),
            }],
            vec![Target::Vehicles],
        );
        let ap = device(
            vec![Trigger::Tripwire { pull_kg: None }],
            vec![Target::Persons],
        );
        let mut mixed = device(vec![], vec![]);
        mixed.components = vec![at.clone(), ap];
        let c = classify(&mixed).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
        assert_eq!(c.category, Category::MixedSystem);
        assert_eq!(c.components.len(), 2);
        assert!(articles(&c).contains(&"2(3)"));
        mixed.components = vec![at.clone(), at];
        assert_eq!(classify(&mixed).unwrap().verdict, Verdict::Permitted);
    }

    #[test]
    fn invalid_descriptions_name_the_path() {
        let err = classify(&device(vec![], vec![Target::Persons])).unwrap_err();
        assert_eq!(
            err,
            TreatyError::InvalidDevice {
                path: "triggers".into(),
                reason:
                    "is missing or empty: say what sets the device off (or list its components)"
                        .into()
            }
        );
        let mut mixed = device(vec![], vec![]);
        mixed.components = vec![device(vec![pressure(-1.0)], vec![Target::Persons])];
        let err = classify(&mixed).unwrap_err().to_string();
        assert!(
            err.contains("components[0].triggers[0].threshold_kg"),
            "{err}"
        );
        let err = classify(&device(vec![pressure(f64::NAN)], vec![Target::Persons])).unwrap_err();
        assert!(err.to_string().contains("threshold_kg"));
        let err = classify(&device(vec![pressure(10.0)], vec![])).unwrap_err();
        assert!(err.to_string().contains("designed_to_harm"));
    }

    #[test]
    fn json_input_shape() {
        let json = r#"{"name":"PMN","triggers":[{"kind":"pressure","threshold_kg":8}],
                       "designed_to_harm":["persons"]}"#;
        let d: DeviceDescription = serde_json::from_str(json).unwrap();
        assert_eq!(classify(&d).unwrap().verdict, Verdict::Prohibited);
        let bad = r#"{"name":"X","triggers":[{"kind":"laser"}],"designed_to_harm":["persons"]}"#;
        let err = serde_json::from_str::<DeviceDescription>(bad).unwrap_err();
        assert!(err.to_string().contains("laser"), "{err}");
        let missing = r#"{"triggers":[],"designed_to_harm":["persons"]}"#;
        let err = serde_json::from_str::<DeviceDescription>(missing).unwrap_err();
        assert!(err.to_string().contains("name"), "{err}");
        let unknown = r#"{"name":"X","trigers":[]}"#;
        let err = serde_json::from_str::<DeviceDescription>(unknown).unwrap_err();
        assert!(err.to_string().contains("trigers"), "{err}");
    }

    #[test]
    fn an_impact_fuze_is_not_a_mine() {
        let d: DeviceDescription = serde_json::from_str(
            r#"{"name":"M77 DPICM grenade","emplaced":false,"remotely_delivered":true,
                "triggers":[{"kind":"impact"}],"designed_to_harm":["persons","vehicles"]}"#,
        )
        .unwrap();
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Permitted);
        assert_eq!(c.category, Category::NotAMine);
        assert!(
            c.reasons
                .iter()
                .any(|r| r.reason.contains("Cluster Munitions"))
        );
    }

    #[test]
    fn a_switchable_device_is_judged_by_its_worst_mode() {
        let d: DeviceDescription = serde_json::from_str(
            r#"{"name":"Spider-like system","designed_to_harm":["persons"],
                "modes":[{"name":"man-in-the-loop","triggers":[{"kind":"command"}]},
                         {"name":"battlefield override","triggers":[{"kind":"tripwire"}]}]}"#,
        )
        .unwrap();
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
        assert_eq!(c.modes.len(), 2);
        assert_eq!(c.modes[0].verdict, Verdict::Permitted);
        assert_eq!(c.modes[1].verdict, Verdict::Prohibited);
        assert!(c.reasons[0].reason.contains("worst mode"));
        // Without the override setting, the same system is outside the ban.
        let safe: DeviceDescription = serde_json::from_str(
            r#"{"name":"x","designed_to_harm":["persons"],
                "modes":[{"name":"man-in-the-loop","triggers":[{"kind":"command"}]}]}"#,
        )
        .unwrap();
        assert_eq!(classify(&safe).unwrap().verdict, Verdict::Permitted);
        let empty: DeviceDescription = serde_json::from_str(
            r#"{"name":"x","designed_to_harm":["persons"],"modes":[{"name":"a","triggers":[]}]}"#,
        )
        .unwrap();
        let err = classify(&empty).unwrap_err().to_string();
        assert!(err.contains("modes[0].triggers"), "{err}");
    }

    #[test]
    fn remote_delivery_is_a_way_of_emplacing() {
        let d: DeviceDescription = serde_json::from_str(
            r#"{"name":"scattered AP mine","emplaced":false,"remotely_delivered":true,
                "triggers":[{"kind":"pressure","threshold_kg":5}],"designed_to_harm":["persons"]}"#,
        )
        .unwrap();
        let c = classify(&d).unwrap();
        assert_eq!(c.verdict, Verdict::Prohibited);
        assert!(
            c.reasons
                .iter()
                .any(|r| r.reason.contains("remote delivery"))
        );
        let mut hand = d.clone();
        hand.remotely_delivered = false;
        assert_eq!(classify(&hand).unwrap().verdict, Verdict::Permitted);
    }
}
