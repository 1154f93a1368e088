// Package engine is statkit's statistics engine: it applies a time-ordered stream of
// action events (runtime/event) to a topology and keeps the statistics of a config
// (runtime/config) up to date, using the generated action, object, status and category
// tables. It is a library first; the CLI's replay and the server drive it.
//
//	e, err := engine.New(cfg)      // opens cfg.Statistics under their ids
//	err = e.Apply(ev)              // one event (start, update or end of a durable action,
//	                               // or an instantaneous one); a *RejectError when refused
//	e.Advance(t)                   // move the clock without an event
//	v, err := e.Value("q-answered")
//	ns = e.Notifications(ns[:0])   // what the statistics' notification modes send
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
// A durable action instance is keyed by (source, action, interaction); its updates and its
// end go to the objects its start reached, even if logins changed meanwhile. Outside any
// interaction, on a source that agents share (a mediation DN, staging area, workbin or
// tenant), the agent the event names is part of the key as well: each agent logged in to
// an ACD queue has its own AgentLogin there. DESIGN.md keys by (source, action,
// interaction) alone, under which the second agent's login to a queue was refused as a
// duplicate start.
//
// # Statuses and subjects
//
// See status.go for how statuses are derived. DNAction statistics count the actions
// delivered to their object. DNStatus statistics count the statuses of the object's DNs
// (a RegDN, Queue or RoutePoint itself; a place's DNs; the DNs an agent is logged in on);
// AgentStatus the statuses of agents (the agent; a group's or tenant's agents);
// PlaceStatus those of places. GroupStatus counts the statuses of a group's members:
// on a GroupAgents exactly as AgentStatus (the member agents), on a GroupPlaces exactly as
// PlaceStatus (the member places). The mask of a status statistic applies to the status
// action.
//
// # Categories
//
// Values follow DESIGN.md §3 exactly, with I the profile's current interval; times are
// seconds with millisecond precision. A ratio whose denominator is 0 (an average of
// nothing, a percentage of nothing, a rate over no time) is undefined — Value.Undefined
// says why, JSON has null — where DESIGN.md said 0: an empty queue's service level is not
// 0 %, nor its average wait 0:00. Extremes of nothing (MaxTime, MinTime, CurrentMaxTime, …)
// stay 0. Choices the table leaves open:
//
//   - Clipping: a statistic accumulates from the moment it is opened. I starts at
//     max(last reset, open time); every duration the statistic uses — full durations for
//     MaxTime/MinTime and the time ranges, elapsed times for the Current categories, the
//     continuous run — is measured from max(start, open time). Statistics opened before
//     the first event (those of the config) are not clipped; statuses, which are unknown
//     before the first event, hold from it. Where a category divides by the length of I
//     (ElapsedTimePercentage, TotalNumberPerSecond, AverageOfCurrent*), that length is
//     measured from the later of I's start and the first event.
//   - Momentary actions count in TotalNumber (and the AverageTime denominator) but have no
//     duration: they never set MaxTime/MinTime and are in no time range (so they count in
//     N(Main) of ServiceFactor1 only). A retrospective action of duration d at t covers
//     [t−d, t].
//   - Time ranges [lo, hi] include both bounds. TotalNumberInTimeRange(Percentage),
//     TotalTimeInTimeRange and ServiceFactor1 test the full duration d;
//     CurrentNumberInTimeRange(Percentage) the elapsed time of instances in progress.
//     A statistic whose category takes a range and has none uses 0-20 s.
//   - RelMask categories use the RelMask with the same filter, media type and profile as
//     the MainMask; the *InTimeRangePercentage categories and ServiceFactor1 work without
//     one (the denominator is then over Main, resp. N(Rel, d > hi) is 0).
//   - AverageOfCurrentNumber and AverageOfCurrentTime integrate CurrentNumber and
//     CurrentTime over I exactly (piecewise constant, resp. linear, between changes);
//     MaxNumber and MinNumber take the extremes of CurrentNumber over I, including its
//     value when I began (or the statistic opened).
//   - Status subjects: TotalTime includes the elapsed overlap of in-progress statuses, so
//     TotalAdjustedTime equals TotalTime; TotalAdjustedNumber adds the members currently in
//     a mask status; AverageTime is TotalTime / TotalNumber as the table says.
//   - CurrentDistinctNumber counts distinct non-empty interaction ids: of the mask
//     instances in progress (DNAction), or of the instances deciding the members' mask
//     statuses (status subjects).
//   - Custom values (the *CustomValue categories, DNAction only) evaluate the stat type's
//     Formula on an instance's attributes (see Filters and formulas): historical ones once
//     per Main action completing in I (a durable one on its start's data), current ones
//     over the durable Main instances in progress. Attached-data strings become numbers
//     with ParseNumber (DOMAIN.md §2.2).
//   - CurrentState and CurrentStateReasons ignore masks, filters and profiles; see
//     state.go for their trees (groups and tenants list their members' trees).
//   - MediaType restricts DNAction statistics to actions of that media; status subjects
//     ignore it.
//
// The categories whose semantics the vendor never published are defined in
// spec/categories.yaml (docs/categories.md), and built here:
//
//   - Formula (formula.go): an expression over other statistics (runtime/expr), which
//     the engine opens as hidden inputs with the formula statistic and closes with it;
//     undefined on a division by zero or an undefined input.
//   - EstimWaitingTime (estim.go): a queue-length regression — the line through the
//     answered waits against the calls that were ahead of each, recent answers weighing
//     more — at the calls waiting now; its figures on the real bank day are in the
//     reference.
//   - EstimTimeToComplete: the longest expected remaining time E[d − e | d > e] of the
//     instances in progress, over the durations completed in I; EstimTimeToEndCurrentNumber:
//     the instances in progress at the rate instances completed in I.
//   - LoadBalance: CurrentNumber(Main) per CurrentNumber(Rel) (work per available
//     resource); LoadBalance1: CurrentNumber(Main) per agent logged in on the object.
//   - TotalNumberErrors (refused.go): events Apply refused that concern the object, by
//     reason through the filter's reason attribute.
//   - AverageNumberPerRelativeHour: TotalNumber per hour of TotalTime(Rel), or per hour
//     of I without a RelMask.
//   - TotalDistinctTime (distinct.go): the union of the Main instances' spans within I.
//   - CurrentTargetState (target.go): the CurrentState tree with, on every node, whether
//     the object can take an interaction now and why.
//
// JavaCategory is refused: Formula and the CustomValue categories replace it.
//
// # Profiles
//
// A profile defines I for the historical categories; current categories are the same
// under every profile.
//
//   - Growing: I = [last reset, now]. Resets happen at local times of day in the
//     profile's location, and when a Period is set, every Period after each of them until
//     the end of that local day (resets at 08:00 and 12:30 every 2 h: 08:00, 10:00, …,
//     22:00 and 12:30, 14:30, …, 22:30). A reset time that a daylight-saving change skips
//     happens when the clock jumps past it; one that occurs twice happens at its first
//     occurrence. An action completing exactly at a reset instant belongs to the new
//     interval (its time before the reset lies outside I).
//   - Sliding (window W, step S, W a multiple of S, both aligned to the Unix epoch): time
//     is cut in steps [k·S, (k+1)·S); at t, I = [⌊t/S⌋·S − W + S, t], the current step
//     and the W/S − 1 before it (so I is between W − S and W long). An action completing
//     at t counts in step ⌊t/S⌋: one completing exactly on a boundary k·S counts during
//     [k·S, k·S + W), one completing 1 ms earlier leaves S sooner. A completed instance's
//     time counts for its overlap with I: it is spread over the steps it covers, which
//     leave I one by one. The statistic keeps a ring of W/S buckets (the config allows at
//     most 10,000).
//   - Selection (count N): I holds the last N completed instances counted by the
//     statistic (matching MainMask or RelMask, its filter and media type), in completion
//     order; with fewer than N, all of them. Instances count whole: TotalTime and
//     AverageTime use full durations (from the open time at most), and in-progress
//     statuses add nothing (TotalAdjusted* still add the in-progress instances). For the
//     categories that need a time interval, I runs from the completion of the instance
//     just before the oldest selected one (the statistic's open, or the first event,
//     while fewer than N+1 completed) to now. The statistic keeps a ring of N records.
//   - SinceLogin (Agent objects): I = [the agent's latest login, now], where a login is
//     the agent going from logged in nowhere to logged in on a DN (logging in on further
//     DNs does not restart it). While the agent is logged in nowhere every historical
//     value is 0. The status changes a login causes are not in the new interval (the
//     LoggedOut status ends just before it); those a logout causes are the last of the
//     old one. A statistic opened during a session counts from its open.
//
// # Filters and formulas
//
// A filter is a boolean expr-lang (github.com/expr-lang/expr) expression, a formula a
// numeric one, over the attributes of one action instance (runtime/expr compiles them,
// for the config loader and the engine alike):
//
//	media        string  the media type ("" when the event gave none)
//	interaction  string  the interaction id
//	agent        string  the agent the event names or its media channel resolves to,
//	                     else the first agent logged in on the source DN when the action
//	                     started (or happened), else ""
//	place        string  the place the event names or resolves to, else the source DN's
//	                     place, else ""
//	source       string  the source object id (DN, staging area, …)
//	action       string  the action name (without variant)
//	data         map     the attached data: key → string in filters, key → number
//	                     (ParseNumber) in formulas; a missing key is "" or 0
//	reason       string  a refused event's code, for TotalNumberErrors; "" otherwise
//
// PairExists(key, value) is true when the data has key with exactly that value (the Stat
// Server's UserData function, so `PairExists("Language","Spanish")` is DOMAIN.md §4.3's
// SpanishLanguage filter); PairExists(key) when it has key with any value. number(s)
// converts a string with ParseNumber. data[key] reads the first of repeated keys;
// PairExists matches any occurrence. expr-lang's builtins are available except now, date
// and timezone, which read the wall clock or the machine's time zone.
//
// Expressions are type-checked when compiled — config.Load compiles every one, so a bad
// expression is a config error at its line:col — and each engine compiles an expression
// text once. A custom-value formula whose evaluation fails or is not finite counts 0; a
// filter whose evaluation fails does not hold.
//
// A durable instance is tested on its start's data when it starts, and again whenever an
// update changes its data (see below); while its data does not change it counts (in
// historical and current categories alike: DESIGN.md's "durable instances count only
// while the filter holds", which DOMAIN.md's "filters do not change how Current
// statistics are computed" is read as compatible with — the computation is the same, over
// fewer instances) either for its whole life or not at all. A retrospective or momentary
// action is tested once, when it happens, however many statistics it reaches. A status
// instance of a status subject is tested on the attributes of the action instance deciding
// it when it began (for a DN its top instance; for a place or an agent that of its
// highest-status DN; none for LoggedOut), which follow that instance's updates while the
// status lasts; they do not change when another instance of the same action takes over.
//
// # Data that changes during an action
//
// An update (event.PhaseUpdate; Genesys EventAttachedDataChanged, an Asterisk channel
// variable, a FreeSWITCH variable) changes the attached data of a durable instance in
// progress. It is keyed as the instance's end is; with no instance in progress for its
// key it is refused (CodeUpdateWithoutStart, the key in the reason). Its data is merged as
// a JSON merge patch: each key it sets replaces that key's value (every occurrence of a
// repeated key, the first keeping its place), keys new to the instance are appended in
// the update's order, and each key it removes (event.Event.Unset, null on the wire) goes;
// other keys stay. An update changes the data only: the instance's media, agent and place
// stay those of its start, and the fields of the update other than its key and data are
// not read. An update that changes nothing ({} or the same values) changes no value. An
// end's data is not read either: an instance's data is what its start and updates made it.
//
// A filter holds over periods of an instance's life, from each start or update after
// which it holds to the next update after which it does not (or the end). For a filtered
// statistic, with lo the later of the instance's start and the statistic's open:
//
//   - Historical categories count the instance once, when it completes, if its filter held
//     at some moment from lo on — however many times it became true (the Stat Server
//     counts each time a filter becomes true; statkit counts instances, as a call that is
//     VIP twice is one VIP call); a filter that held only between two updates at one
//     instant counts too. Its time d is the total of its held periods from lo: not its
//     span. TotalTime adds their overlap with I (a Sliding profile spreads each held period
//     over the steps it covers, which leave the window one by one); AverageTime is
//     TotalTime / TotalNumber; MaxTime and MinTime take d; the time ranges
//     (TotalNumberInTimeRange, TotalTimeInTimeRange, ServiceFactor1) test d; a Selection
//     profile records the instance with d as its full duration; the RelMask side counts
//     the same way. One per-instance quantity, the time it matched, keeps these consistent:
//     TotalTime is the sum of the d, AverageTime their mean, between MinTime and MaxTime.
//   - Current categories include the instance while its filter holds, with the time its
//     filter has held so far (from lo) as its elapsed time (CurrentTime, CurrentMaxTime,
//     CurrentMinTime, CurrentAverageTime, CurrentNumberInTimeRange), which at its end is
//     the d it completes with. CurrentContinuousTime runs from when CurrentNumber last left
//     0: an instance whose filter stops holding leaves it, and if that empties it, the run
//     ends. AverageOfCurrentNumber, AverageOfCurrentTime, MaxNumber and MinNumber follow
//     CurrentNumber and CurrentTime as filters start and stop holding.
//   - TotalAdjustedNumber and TotalAdjustedTime add the instances in progress whose filter
//     has held from lo on (holding now or not), with their held time in I.
//   - Custom values read the data as of when they are evaluated: a historical one when the
//     instance completes (its final data), a current one when read.
//   - Status subjects: a status instance whose attributes an update changed counts the same
//     way — once, when it ends, if its filter held; for the time it held; in current
//     values while it holds — and an in-progress status adds the time it has held (in I)
//     to TotalTime.
//
// Instances whose data never changed are computed as before; only a filter an update
// turned keeps the periods it held (update.go), so the common path is unchanged.
//
// # Notifications
//
// Each statistic has a notification mode (config.Notification); Notifications returns
// what the modes send, in event time:
//
//   - changes: the first value is always sent; after that, a value that differs from the
//     last one sent by more than Insensitivity percent of it, |new − last| >
//     Insensitivity/100 · |last| (0: every change; a structured value whenever its tree
//     differs). Values are looked at when Notifications is called, at the clock then:
//     those whose inputs changed since the previous call (as Changed reports), those that
//     move with the clock alone (current times, time of statuses in progress, Sliding
//     windows, rates and time averages), those whose Growing interval reset, and
//     CurrentState(Reasons) and CurrentTargetState whenever a durable action started,
//     ended or had its data changed, and Formula statistics at every call (their inputs
//     may move with the clock or reset on profiles of their own). Several changes between
//     two calls give at most one notification. A value going from defined to undefined or
//     back is a change; two undefined values are not.
//   - periodical: every Period, at the instants that are multiples of Period since the
//     Unix epoch (statistics with one period notify together), from the first such instant
//     after the clock starts or the statistic opens.
//   - reset (Growing profiles): at each reset instant R, the value of the interval ending
//     there — its final value, with everything before R and nothing at R (0 for a count
//     when nothing happened in it; a current category's value at R) — with the interval's
//     start in Notification.From: the previous reset, or the open if the statistic opened
//     since (or the reset before the first event, for a statistic of the config).
//   - none: nothing; the value is only read (Value).
//
// A periodical or reset notification at T is taken when the clock first reaches T — by
// an Apply of an event at or after T, before the event, or by an Advance to T or later —
// so it holds every event before T and none at T; a jump over several instants gives one
// notification each, in time order, then in open order. Within one call, those come first
// (their instants are not after the clock), then the changes at the clock, in open order.
// The owner (the server, replay) calls Notifications after each Apply or Advance, or batch
// of them, and fans the result out. Nothing is recorded until Notifications is first
// called, so an owner that never calls it pays nothing; once on, they queue until drained,
// so the owner keeps calling it. Changed works independently.
//
// # Performance
//
// Statistics are indexed by object and subject (and MainMask and RelMask action), so an
// event touches only the statistics of the objects it reaches. A common statistic — a
// Growing profile, no filter, RelMask or formula, and a base category — keeps four
// counters inline; current values are computed at read time from the object's
// in-progress instances or its members' statuses. A Growing profile computes its current
// interval once, when the first of its statistics reaches it, and the others copy it. Other statistics carry an extension
// (ext.go) with what they need: a time range, RelMask counters, compiled filter and
// formula, a ring of Sliding buckets or Selection records. Instances and statistics live
// in slices reused through free lists, and status attributes are kept only while a
// statistic reads them, so the steady state allocates nothing per action for common
// statistics. The new categories cost the others nothing: a refused event pays one
// comparison more while no TotalNumberErrors statistic is open, and formula inputs are
// ordinary statistics. An update allocates its merged data and, when it turns a filter,
// the filter's hold; instances whose data never changes carry none.
package engine
