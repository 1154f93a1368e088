// Package config reads statkit's YAML configuration: the topology (DNs, places, agents,
// groups, staging areas, workbins, tenants), stat types, time profiles, time ranges,
// filters and the statistics to open.
//
// Loading parses the document (refusing documents over 8 MiB and alias bombs), validates
// it against the JSON Schema generated from the spec (see Schema; docs/config.schema.json
// is the same schema, for editors), then checks every name against the generated tables
// (object types and compatibility groups, categories, subjects, action applicability) and
// the topology, and compiles every expression (runtime/expr): filters, custom-value
// formulas and Formula stat types, whose inputs it resolves (LoadNoCompile and
// LoadFileNoCompile skip the filters and custom-value formulas). Each problem is a
// name:LINE:COL: message error; all are reported together, sorted, as a yamlpos.List. When the document's shape is wrong (schema
// errors), only those are reported. A name outside the schema's enums (an unknown object
// type, DN type, category, subject or mask entry) is not a shape error: the name checks
// report it, with a clearer message (an unsupported category, the known DN types, ...).
//
// A Config is read-only after loading and safe for concurrent readers.
//
// # Example
//
// This is testdata/example.yaml:
//
//	# A small contact center: two agents, two places, a queue and a routing point.
//	topology:
//	  tenant: default                    # tenant of every object that names none
//	  dns:                               # type: Extension, ACDPosition, VoIP, Chat, Email, ACDQueue, VirtualQueue, RoutingPoint
//	    - {id: "7001", type: Extension, place: P1}
//	    - {id: "7002", type: Extension, place: P2}
//	    - {id: "Support@SW1", type: ACDQueue}
//	    - {id: "Main@SW1", type: RoutingPoint}
//	  places: [{id: P1}, {id: P2}]
//	  agents: [{id: "1001", name: "Ann Lee"}, {id: "1002", name: "Bo Chen"}]
//	  stagingAreas: [{id: Email_Inbound}]
//	  groups:
//	    agents: {Sales: ["1001", "1002"]}
//	    places: {Floor1: [P1, P2]}
//	    queues: {AllQueues: ["Support@SW1", "Main@SW1"]}
//	statTypes:
//	  CallsAnswered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
//	  AgentsReady: {objects: [GroupAgents], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
//	  ServiceLevel:
//	    objects: [Queue, GroupQueues]
//	    category: ServiceFactor1
//	    subject: DNAction
//	    mainMask: [CallDistributed]
//	    relMask: [CallAbandoned]
//	    description: Calls distributed within the range over distributed plus abandoned after it.
//	  TalkTime: {objects: [Agent, GroupAgents], category: TotalTime, subject: DNAction, mainMask: [CallInbound, CallOutbound, CallInternal]}
//	  AgentState: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
//	  CallsEntered: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
//	  CallsAbandoned: {objects: [Queue, GroupQueues], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
//	  AnsweredWait: {objects: [Queue, GroupQueues], category: TotalTime, subject: DNAction, mainMask: [CallDistributed]}
//	  BusyTime: {objects: [Agent, GroupAgents], category: TotalTime, subject: AgentStatus, mainMask: [CallInbound, CallOutbound, CallInternal, CallOnHold]}
//	  LoggedInTime: {objects: [Agent, GroupAgents], category: TotalTime, subject: AgentStatus, mainMask: ["*", "~LoggedOut"]}
//	  AbandonRate: {objects: [Queue, GroupQueues], category: Formula, formula: "100 * CallsAbandoned / CallsEntered"}
//	  SpeedOfAnswer: {objects: [Queue, GroupQueues], category: Formula, formula: "AnsweredWait / CallsAnswered", description: "Average speed of answer, in seconds."}
//	  Occupancy: {objects: [Agent, GroupAgents], category: Formula, formula: "100 * BusyTime / LoggedInTime"}
//	  EstimatedWait: {objects: [Queue, GroupQueues], category: EstimWaitingTime, subject: DNAction, mainMask: [CallWait], relMask: [CallDistributed]}
//	timeProfiles:
//	  Default: {type: Growing, reset: ["00:00"], timezone: UTC}
//	  Last15: {type: Sliding, window: 900, step: 60}
//	  Last10: {type: Selection, count: 10}
//	  Shift: {type: SinceLogin}
//	  Quarter: {type: Growing, reset: ["00:00"], period: 900, timezone: Europe/Paris}
//	timeRanges: {SL20: "0-20"}
//	filters: {Gold: 'PairExists("Segment","Gold") && media == "voice"'}
//	statistics:
//	  - {id: q-answered, statType: CallsAnswered, object: {type: Queue, id: "Support@SW1"}, profile: Default}
//	  - {id: sl, statType: ServiceLevel, object: {type: Queue, id: "Support@SW1"}, profile: Last15, timeRange: SL20, filter: Gold, notification: {mode: changes, insensitivity: 5}}
//	  - {id: q-answered-quarter, statType: CallsAnswered, object: {type: GroupQueues, id: AllQueues}, profile: Quarter, notification: {mode: reset}}
//	  - {id: sales-ready, statType: AgentsReady, object: {type: GroupAgents, id: Sales}, notification: {mode: none}}
//	  - {id: ann-talk, statType: TalkTime, object: {type: Agent, id: "1001"}, profile: Shift, notification: {mode: periodical, period: 10}}
//	  - {id: sales-talk-last10, statType: TalkTime, object: {type: GroupAgents, id: Sales}, profile: Last10}
//	  - {id: ann-state, statType: AgentState, object: {type: Agent, id: "1001"}}
//	  - {id: q-abandon-rate, statType: AbandonRate, object: {type: Queue, id: "Support@SW1"}}
//	  - {id: q-asa, statType: SpeedOfAnswer, object: {type: Queue, id: "Support@SW1"}}
//	  - {id: q-ewt, statType: EstimatedWait, object: {type: Queue, id: "Support@SW1"}}
//	  - {id: sales-occupancy, statType: Occupancy, object: {type: GroupAgents, id: Sales}}
//	reports:
//	  Quarterly: {title: All queues every 15 minutes, rows: [{label: AllQueues, answered: q-answered-quarter}]}
//	wallboards:
//	  Floor:
//	    title: Customer service
//	    headline:
//	      - {statistic: sl, label: Service level, thresholds: {warn: 80, alarm: 70, direction: below}}
//	      - {statistic: q-abandon-rate, label: Abandoned, unit: percent, thresholds: {warn: 5, alarm: 10}}
//	      - {statistic: q-asa, label: Speed of answer, unit: seconds, thresholds: {warn: 20, alarm: 40}}
//	      - {statistic: q-answered, label: Calls answered, thresholds: {}}
//	    sections:
//	      - title: Queues
//	        columns:
//	          - {statType: CallsAnswered, label: Answered}
//	          - {statType: EstimatedWait, label: Expected wait, thresholds: {warn: 60, alarm: 120}}
//	          - {statType: AgentsReady, label: Agents ready, thresholds: {warn: 1, alarm: 0, direction: below}}
//	          - {statType: Occupancy, label: Occupancy, unit: percent, thresholds: {warn: 90, alarm: 95}}
//	        rows:
//	          - {type: Queue, id: "Support@SW1", with: {GroupAgents: Sales}}
//	    agents:
//	      states:
//	        - {status: NotReadyForNextCall, reason: Lunch, thresholds: {warn: 2700, alarm: 3600}}
//	        - {status: NotReadyForNextCall, thresholds: {warn: 900, alarm: 1200}}
//	        - {status: [CallInbound, CallOnHold], thresholds: {warn: 480, alarm: 660}}
//
// # Keys
//
// topology: tenant (default "default") is the tenant of objects that name none; tenants
// lists further tenants, which objects name with tenant: ID. dns are {id, type, place,
// tenant}; only regular DNs (Extension, ACDPosition, VoIP, Chat, Email) have a place.
// places, stagingAreas and workbins are {id, tenant}; agents are {id, name, tenant},
// identified by employee id. groups.agents, groups.places and groups.queues map a group
// id to its members (agent ids, place ids, queue and routing point DN ids), written as a
// list or as {members: [...], tenant: T}. Ids are strings; a plain integer is taken as
// written. Ids of one kind are unique; an agent id may not also be a place or workbin id.
//
// statTypes: name → {objects, category, subject, mainMask, relMask, mediaType, formula,
// description, export}. objects are object types of one compatibility group; the subject must
// apply to each (Action is accepted for DNAction). A mask lists action names (every row
// of the name), "Name (Variant)" (one row), "*" (every action; quote it in YAML) and
// "~Name" (exclude); exclusions apply after inclusions, and a mask keeps only the rows
// that reach one of the objects (durable rows only for status subjects). relMask is
// refused for categories that do not read one and required by those that compare Main
// with Rel (Relative*, LoadBalance); formula is required exactly by the custom-value
// categories and Formula.
//
// A Formula stat type is {objects, category: Formula, formula, description}, without
// subject or masks: its formula is an expression over other statistics (see
// runtime/expr) — stat type names, read on the formula statistic's object with its
// profile and filter, stat("Name", "Profile") with another profile, statistic("id") a
// configured statistic. Each input must exist, be a number (no CurrentState), and a stat
// type input must be defined for every object type of the Formula stat type; a formula
// may not read itself through others. Statistic.FormulaInputs gives the statistics a
// formula statistic reads, which the engine opens with it. JavaCategory is refused:
// Formula and the CustomValue categories replace it.
//
// timeProfiles: name → {type, ...}. Growing: reset ["HH:MM", ...] (local times; 00:00
// when neither reset nor period is given), period (seconds, ≤ 86400: each reset time
// repeats every period until the end of its local day, from midnight when no reset time
// is given), timezone (IANA name, default UTC). Sliding: window and step
// in seconds, the window a multiple of the step and at most 10,000 steps. Selection:
// count (1 to 100,000) last completed instances. SinceLogin: no parameters; Agent
// objects only. Without a Default profile the built-in one (Growing, 00:00 UTC) is added.
//
// timeRanges: name → "lo-hi" in seconds, up to three decimals, 0 ≤ lo ≤ hi. A statistic
// whose category takes a range and names none gets the range named Default, else 0-20.
//
// filters: name → expression over the action's data and attributes, compiled at load
// (unless NoCompile).
//
// statistics: {id, statType, object: {type, id}, profile (default Default), timeRange,
// filter, notification, export}. notification is {mode, insensitivity, period}: mode changes
// (default; insensitivity in percent, 0 = every change), periodical (period in seconds,
// required), reset (Growing profiles and historical categories only) or none.
//
// export (a boolean, on a stat type or a statistic) marks values for Prometheus: the
// server's /metrics shows each exported statistic as the gauge
// statkit_statistic_value{statistic, stat_type, object_type, object}. A stat type's mark
// covers all its statistics, those opened through the API included; a statistic's own
// mark (true or false) overrides it. Config.Exported answers for an open statistic. The
// marks are not part of a statistic's definition: a reload that changes them changes
// what is exported and reopens nothing.
//
// reports: name → {title, rows}: interval reports (statkit report) over the statistics
// history records. Each row is {label, offered, answered, abandoned, serviceLevel,
// averageSpeedOfAnswer, averageHandleTime}: a label and, per column it has, the id of a
// statistic with notification mode reset. All the statistics of a report share one
// (Growing) profile, whose intervals are the report's (see Quarterly in the example).
//
// wallboards: name → {title, headline, sections, agents}: the layouts the wallboard page
// offers (GET /v1/wallboards), each value with its thresholds (see Floor in the
// example). A headline tile is {statistic, of, label, unit, thresholds, history}: a
// configured statistic with a numeric value, optionally shown as a part of another (of:
// agents available of agents staffed). A section is {title, columns, rows}: a column is
// {statType, of, profile, label, unit, thresholds}, a row {type, id, label, with: {TYPE:
// ID}}; a cell shows the column's statistic on the first of the row's object and its
// with objects that the stat type applies to (blank when it applies to none; an error
// when it applies but no such statistic is configured), preferring a live statistic to
// a recorded one (mode reset), which becomes the cell's history — the intervals its bar
// chart shows. agents is {statType, groups, states}: the CurrentState statistics of
// agents shown as cards, the agent groups the filter offers, and per status (and
// reason) how many seconds a state may last before its card turns amber and red; the
// first entry that matches applies. thresholds are {warn, alarm, direction}: direction
// above (default: higher is worse) or below (a service level); an empty mapping turns
// colouring off, and without thresholds the page guesses them. unit (seconds, count,
// percent, ratio) says how a value reads when its category does not (a Formula).
package config
