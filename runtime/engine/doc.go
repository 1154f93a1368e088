// Package engine is statkit's statistics engine: it applies a time-ordered stream of
// action events (runtime/event) to a topology and keeps the statistics of a config
// (runtime/config) up to date, using the generated action, object, status and category
// tables. It is a library first; the CLI's replay and the server drive it.
//
//	e, err := engine.New(cfg)  // opens cfg.Statistics under their ids
//	err = e.Apply(ev)          // one event; a *RejectError with a Code when refused
//	e.Advance(t)               // move the clock without an event
//	v, err := e.Value("q-answered")
//
// The engine is deterministic: it reads no wall clock, iterates no map in an order that
// matters, and the same events give the same values byte for byte.
//
// # Propagation
//
// An event is delivered to the objects it reaches, keeping only the object types in
// the action's generated Reaches set: a regular DN's action goes to the RegDN, its Place,
// the GroupPlaces containing the place, the agent logged in on the DN (or the agent the
// event names, instead) and the GroupAgents containing it; a media-channel action goes to
// the agent and/or place the event names (or the agent, else the place, whose id is the
// source id) and their groups; a mediation DN's action to its Queue or RoutePoint and the
// GroupQueues containing it; a staging-area action to the StagingArea; an agent-workbin
// action to the Workbin and the agent the event names (and its groups); every action to
// the tenant of its source. An agent is logged in on a regular DN from the start of a
// login-role action (LoggedIn) naming it until that instance ends.
//
// A durable action instance is keyed by (source, action, interaction); its end goes to
// the objects its start reached, even if logins changed meanwhile.
//
// # Statuses and subjects
//
// See status.go for how statuses are derived. DNAction statistics count the actions
// delivered to their object. DNStatus statistics count the statuses of the object's DNs
// (a RegDN, Queue or RoutePoint itself; a place's DNs; the DNs an agent is logged in on);
// AgentStatus the statuses of agents (the agent; a group's or tenant's agents);
// PlaceStatus those of places. The mask of a status statistic applies to the status action.
//
// # Categories
//
// Values follow DESIGN.md §3 exactly, with I the profile's current interval; times are
// seconds with millisecond precision. Choices the table leaves open:
//
//   - Clipping: a statistic accumulates from the moment it is opened. I starts at
//     max(last reset, open time); every duration the statistic uses — full durations for
//     MaxTime/MinTime, elapsed times for the Current categories, the continuous run — is
//     measured from max(start, open time). Statistics opened before the first event (those
//     of the config) are not clipped; statuses, which are unknown before the first event,
//     hold from it.
//   - Momentary actions count in TotalNumber (and the AverageTime denominator) but have no
//     duration, so they never set MaxTime/MinTime. A retrospective action of duration d at t
//     covers [t−d, t].
//   - Status subjects: TotalTime includes the elapsed overlap of in-progress statuses, so
//     TotalAdjustedTime equals TotalTime; TotalAdjustedNumber adds the members currently in
//     a mask status; AverageTime is TotalTime / TotalNumber as the table says.
//   - CurrentDistinctNumber counts distinct non-empty interaction ids and needs DNAction.
//   - CurrentState ignores masks and subject: it is the object's status tree, computed for
//     RegDN, Queue, RoutePoint, Place and Agent objects.
//   - MediaType restricts DNAction statistics to actions of that media; status subjects
//     ignore it.
//
// # Profiles
//
// Only Growing profiles are computed so far (Sliding, Selection, SinceLogin and filters
// are refused by Open): counters reset at local times of day in the profile's location
// (and every Period after each, until the end of that day); a reset time that a
// daylight-saving change skips happens when the clock jumps past it, one that occurs
// twice happens at its first occurrence. The window interface is where the other
// profiles plug in.
//
// # Performance
//
// Statistics are indexed by object and subject, so an event touches only the statistics
// of the objects it reaches; historical categories keep four counters, current ones are
// computed at read time from the object's in-progress instances or its members'
// statuses. Instances and statistics live in slices reused through free lists, so the
// steady state allocates nothing per action.
package engine
