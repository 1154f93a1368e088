package engine

import (
	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// apply is Apply without the accounting of refused events (refused.go).
func (e *Engine) apply(ev *event.Event) error {
	if ev == nil {
		return reject(CodeInvalidEvent, "nil event")
	}
	if e.started && ev.Time < e.clock {
		return reject(CodeLateEvent, "event at %v is before the engine clock %v", ev.Time, e.clock)
	}
	a := ev.Action
	if !a.Valid() || !a.Sources().Has(ev.Source.Class) {
		return reject(CodeInvalidEvent, "action %v does not occur on %v sources", a, ev.Source.Class)
	}
	durable := a.Kind() == action.KindDurable
	switch {
	case durable && ev.Phase == event.PhaseStart:
		return e.start(ev)
	case durable && ev.Phase == event.PhaseEnd:
		return e.end(ev)
	case durable && ev.Phase == event.PhaseUpdate:
		return e.update(ev)
	case !durable && ev.Phase == event.PhaseNone:
		return e.instant(ev)
	}
	return reject(CodeInvalidEvent, "phase %q does not fit %v action %v", ev.Phase, a.Kind(), a)
}

// start opens a durable instance and delivers it to its targets.
func (e *Engine) start(ev *event.Event) error {
	src, named, err := e.targets(ev)
	if err != nil {
		return err
	}
	key := keyOf(ev)
	h := e.instHash(key)
	if _, dup := e.live.get(key, h, e.keyOfInst); dup {
		return reject(CodeDuplicateStart, "%v is already in progress on %v", ev.Action, key)
	}
	t := ev.Time
	e.tick(t)
	e.durables++
	ii := e.newInst()
	in := &e.insts[ii]
	in.key, in.start, in.src, in.agent = key, t, src, noObj
	e.serial++
	in.at = attrs{act: ev.Action, src: ev.Source.ID, ixn: ev.Interaction, media: ev.Media, data: ev.Data, from: e.serial}
	in.at.agent, in.at.place = e.agentPlace(ev, src)
	if len(e.tg) > e.fanout {
		e.growFanout(len(e.tg))
	}
	if cap(in.targets) < e.fanout { // a new slot
		in.targets, in.pos = make([]int32, 0, e.fanout), make([]int32, 0, e.fanout)
	}
	in.targets = append(in.targets[:0], e.tg...)
	in.pos = in.pos[:0]
	for _, o := range in.targets {
		ob := &e.objs[o]
		in.pos = append(in.pos, int32(len(ob.inprog)))
		ob.inprog = append(ob.inprog, ii)
		e.deliverStart(ob, ev.Action, ev.Media, ii, t)
	}
	e.live.put(ii, h, e.slotInstHash)
	if src != noObj && e.objs[src].table.Priority(ev.Action) > 0 {
		e.updateDN(src, t)
	}
	if src != noObj && named != noObj && ev.Action.HasRole(action.RoleLogin) && e.objs[src].typ == object.TypeRegDN {
		in.agent = named
		e.join(named, src, t)
	}
	return nil
}

// end closes a durable instance, delivering the end to the objects its start reached.
func (e *Engine) end(ev *event.Event) error {
	key := keyOf(ev)
	h := e.instHash(key)
	ii, ok := e.live.get(key, h, e.keyOfInst)
	if !ok {
		if !e.sourceKnown(ev.Source) {
			return reject(CodeUnknownObject, "unknown %v source %q", ev.Source.Class, ev.Source.ID)
		}
		return reject(CodeEndWithoutStart, "%v is not in progress on %v", ev.Action, key)
	}
	t := ev.Time
	e.tick(t)
	e.durables++
	in := &e.insts[ii]
	if in.agent != noObj {
		e.leave(in.agent, in.src, t)
	}
	for k, o := range in.targets {
		ob := &e.objs[o]
		e.removeInprog(ob, o, in.pos[k])
		e.deliverEnd(ob, key.act, in.at.media, ii, in.start, t)
	}
	e.live.del(ii, h, e.slotInstHash)
	if in.src != noObj && e.objs[in.src].table.Priority(key.act) > 0 {
		e.updateDN(in.src, t)
	}
	if a := in.agent; a != noObj {
		e.updateAgent(a, t)
		if len(e.objs[a].logins) == 0 {
			e.sessionEnd(a, t)
		}
	}
	in.at, in.key, in.holds = attrs{}, instKey{}, nil
	e.freeInst = append(e.freeInst, ii)
	return nil
}

// instant delivers a momentary or retrospective action.
func (e *Engine) instant(ev *event.Event) error {
	if _, _, err := e.targets(ev); err != nil {
		return err
	}
	t := ev.Time
	e.tick(t)
	e.evSeq++
	retro := ev.Action.Kind() == action.KindRetrospective
	for _, o := range e.tg {
		e.deliverInstant(&e.objs[o], ev, retro)
	}
	return nil
}

// eventAttrs returns the attributes of ev, the instantaneous event being applied, filling
// them on the first call for the event.
func (e *Engine) eventAttrs(ev *event.Event) *attrs {
	if e.evAtSeq != e.evSeq {
		e.evAtSeq = e.evSeq
		src, _ := e.dnSource(ev.Source.Class, ev.Source.ID)
		e.evAt = attrs{act: ev.Action, src: ev.Source.ID, ixn: ev.Interaction, media: ev.Media, data: ev.Data}
		e.evAt.agent, e.evAt.place = e.agentPlace(ev, src)
	}
	return &e.evAt
}

// agentPlace returns the agent and place attributes of ev (see expr.go), after targets:
// the agent the event names or its media channel resolves to, else the first agent logged
// in on the source DN; the place the event names or resolves to, else the source DN's.
func (e *Engine) agentPlace(ev *event.Event, src int32) (agent, place string) {
	if e.tgAgent != noObj {
		agent = e.objs[e.tgAgent].id
	} else if src != noObj && len(e.objs[src].logged) > 0 {
		agent = e.objs[e.objs[src].logged[0]].id
	}
	if e.tgPlace != noObj {
		place = e.objs[e.tgPlace].id
	} else if src != noObj && e.objs[src].place != noObj {
		place = e.objs[e.objs[src].place].id
	}
	return agent, place
}

// minFanout is the capacity of a new instance's target list: a regular DN's action reaches
// its DN, place, place group, agent, a few agent groups and the tenant.
const minFanout = 12

// growFanout makes every instance slot hold n targets: slots are reused by any instance,
// so they all take the largest fan-out seen, and a slot never grows again until a start
// reaches more objects than any before it.
func (e *Engine) growFanout(n int) {
	e.fanout = max(minFanout, n)
	for i := range e.insts {
		in := &e.insts[i]
		if cap(in.targets) < e.fanout {
			in.targets = append(make([]int32, 0, e.fanout), in.targets...)
			in.pos = append(make([]int32, 0, e.fanout), in.pos...)
		}
	}
}

func (e *Engine) newInst() int32 {
	if n := len(e.freeInst); n > 0 {
		ii := e.freeInst[n-1]
		e.freeInst = e.freeInst[:n-1]
		return ii
	}
	e.insts = append(e.insts, inst{})
	return int32(len(e.insts) - 1)
}

// removeInprog removes the instance at position p of ob.inprog (ob is object o), moving
// the last one into its place.
func (e *Engine) removeInprog(ob *obj, o, p int32) {
	last := int32(len(ob.inprog) - 1)
	if p != last {
		moved := ob.inprog[last]
		ob.inprog[p] = moved
		mi := &e.insts[moved]
		for k, t := range mi.targets {
			if t == o {
				mi.pos[k] = p
				break
			}
		}
	}
	ob.inprog = ob.inprog[:last]
}

// dnSource returns the DN named id when it is a DN of source class class (regular or
// mediation), and noObj and false otherwise.
func (e *Engine) dnSource(class object.SourceClass, id string) (int32, bool) {
	i, ok := e.dnByID[id]
	if !ok || !e.objs[i].typ.Valid() || dnClass(e.objs[i].typ) != class {
		return noObj, false
	}
	return i, true
}

// sourceKnown reports whether src names an object of its class in the topology.
func (e *Engine) sourceKnown(src event.Source) bool {
	switch src.Class {
	case object.ClassRegularDN, object.ClassMediationDN:
		_, ok := e.dnSource(src.Class, src.ID)
		return ok
	case object.ClassMediaChannel:
		_, a := e.find(object.TypeAgent, src.ID)
		_, p := e.find(object.TypePlace, src.ID)
		return a || p
	case object.ClassStagingArea, object.ClassTenant, object.ClassAgentWorkbin:
		_, ok := e.find(classType(src.Class), src.ID)
		return ok
	}
	return false
}

// classType is the object type of the sources of class c that are objects themselves.
func classType(c object.SourceClass) object.Type {
	switch c {
	case object.ClassStagingArea:
		return object.TypeStagingArea
	case object.ClassTenant:
		return object.TypeTenant
	case object.ClassAgentWorkbin:
		return object.TypeWorkbin
	}
	return object.TypeNone
}

// dnClass is the source class of actions on a DN object of type t.
func dnClass(t object.Type) object.SourceClass {
	switch t {
	case object.TypeRegDN:
		return object.ClassRegularDN
	case object.TypeQueue, object.TypeRoutePoint:
		return object.ClassMediationDN
	}
	return object.ClassNone
}

// targets collects into e.tg the objects ev reaches by propagation, keeping only object
// types in ev.Action.Reaches(). It returns the source DN (noObj for other sources) and the
// agent the event names (noObj when none), and sets e.tgAgent and e.tgPlace. It changes
// no engine state but the scratch.
func (e *Engine) targets(ev *event.Event) (src, named int32, err error) {
	e.gen++
	e.tg = e.tg[:0]
	src, named = noObj, noObj
	e.tgAgent, e.tgPlace = noObj, noObj
	reach := ev.Action.Reaches()
	if ev.Agent != "" {
		a, ok := e.find(object.TypeAgent, ev.Agent)
		if !ok {
			return noObj, noObj, reject(CodeUnknownObject, "unknown agent %q", ev.Agent)
		}
		named = a
	}
	switch ev.Source.Class {
	case object.ClassRegularDN, object.ClassMediationDN:
		d, ok := e.dnSource(ev.Source.Class, ev.Source.ID)
		if !ok {
			return noObj, noObj, reject(CodeUnknownObject, "unknown %v %q", ev.Source.Class, ev.Source.ID)
		}
		src = d
		dn := &e.objs[d]
		e.add(d, reach)
		e.addWithGroups(dn.place, reach)
		if dn.typ == object.TypeRegDN {
			if named != noObj {
				e.addWithGroups(named, reach)
			} else {
				for _, a := range dn.logged {
					e.addWithGroups(a, reach)
				}
			}
		} else {
			for _, g := range dn.groups {
				e.add(g, reach)
			}
		}
		e.add(dn.tenant, reach)
	case object.ClassMediaChannel:
		place := noObj
		if ev.Place != "" {
			p, ok := e.find(object.TypePlace, ev.Place)
			if !ok {
				return noObj, noObj, reject(CodeUnknownObject, "unknown place %q", ev.Place)
			}
			place = p
		}
		if named == noObj && place == noObj {
			if a, ok := e.find(object.TypeAgent, ev.Source.ID); ok {
				named = a
			} else if p, ok := e.find(object.TypePlace, ev.Source.ID); ok {
				place = p
			} else {
				return noObj, noObj, reject(CodeUnknownObject, "unknown media channel %q (neither an agent nor a place)", ev.Source.ID)
			}
		}
		e.addWithGroups(named, reach)
		e.addWithGroups(place, reach)
		e.tgPlace = place
		if named != noObj {
			e.add(e.objs[named].tenant, reach)
		} else {
			e.add(e.objs[place].tenant, reach)
		}
	case object.ClassStagingArea, object.ClassTenant, object.ClassAgentWorkbin:
		o, ok := e.find(classType(ev.Source.Class), ev.Source.ID)
		if !ok {
			return noObj, noObj, reject(CodeUnknownObject, "unknown %v %q", ev.Source.Class, ev.Source.ID)
		}
		e.add(o, reach)
		e.addWithGroups(named, reach)
		e.add(e.objs[o].tenant, reach)
	default:
		return noObj, noObj, reject(CodeInvalidEvent, "unknown source class %v", ev.Source.Class)
	}
	e.tgAgent = named
	return src, named, nil
}

// add appends object o to e.tg when its type is in reach and it is not there yet.
func (e *Engine) add(o int32, reach object.TypeSet) {
	if o == noObj {
		return
	}
	ob := &e.objs[o]
	if ob.mark != e.gen && reach.Has(ob.typ) {
		ob.mark = e.gen
		e.tg = append(e.tg, o)
	}
}

// addWithGroups adds o and the groups containing it.
func (e *Engine) addWithGroups(o int32, reach object.TypeSet) {
	if o == noObj {
		return
	}
	e.add(o, reach)
	for _, g := range e.objs[o].groups {
		e.add(g, reach)
	}
}
