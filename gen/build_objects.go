package gen

type rawClass struct {
	Name       string   `yaml:"name"`
	Title      string   `yaml:"title"`
	SeedColumn string   `yaml:"seedColumn"`
	Variants   []string `yaml:"variants"`
	Reaches    []string `yaml:"reaches"`
	Summary    string   `yaml:"summary"`
}

type rawType struct {
	Name    string `yaml:"name"`
	Summary string `yaml:"summary"`
}

type rawGroup struct {
	Name  string   `yaml:"name"`
	Types []string `yaml:"types"`
}

type rawDNType struct {
	Name       string `yaml:"name"`
	Class      string `yaml:"class"`
	ObjectType string `yaml:"objectType"`
}

// objects resolves objects.yaml: types first, then classes, groups and DN types that
// refer to them.
func (b *builder) objects(p *parsed) {
	b.types = map[string]*ObjectType{}
	b.classes = map[string]*Class{}
	b.dnTypes = map[string]*DNType{}
	seen := unique{}
	for _, e := range items(p, "objectTypes") {
		var r rawType
		if b.decode(e, &r) && b.once(seen, e, "object type", r.Name) {
			t := &ObjectType{Name: r.Name, Summary: r.Summary}
			b.types[r.Name] = t
			b.m.Types = append(b.m.Types, t)
		}
	}
	b.sourceClasses(p)
	b.groups(p)
	b.dnTypeList(p)
}

func (b *builder) sourceClasses(p *parsed) {
	seen := unique{}
	for _, e := range items(p, "sourceClasses") {
		var r rawClass
		if !b.decode(e, &r) || !b.once(seen, e, "source class", r.Name) {
			continue
		}
		c := &Class{Name: r.Name, Title: r.Title, SeedColumn: r.SeedColumn, Summary: r.Summary, Variants: r.Variants}
		c.Reaches = b.resolveTypes(e, "reaches", "source class "+r.Name, r.Reaches)
		b.classes[r.Name] = c
		b.m.Classes = append(b.m.Classes, c)
	}
}

func (b *builder) groups(p *parsed) {
	seen := unique{}
	inGroup := map[*ObjectType]bool{}
	for _, e := range items(p, "compatibilityGroups") {
		var r rawGroup
		if !b.decode(e, &r) || !b.once(seen, e, "compatibility group", r.Name) {
			continue
		}
		g := &Group{Name: r.Name, Types: b.resolveTypes(e, "types", "group "+r.Name, r.Types)}
		for _, t := range g.Types {
			inGroup[t] = true
		}
		b.m.Groups = append(b.m.Groups, g)
	}
	for _, e := range items(p, "objectTypes") {
		var r rawType
		if b.decode(e, &r) && b.types[r.Name] != nil && !inGroup[b.types[r.Name]] {
			b.errorf(e, "name", "", "object type %s belongs to no compatibility group", r.Name)
		}
	}
}

func (b *builder) dnTypeList(p *parsed) {
	seen := unique{}
	for _, e := range items(p, "dnTypes") {
		var r rawDNType
		if !b.decode(e, &r) || !b.once(seen, e, "DN type", r.Name) {
			continue
		}
		d := &DNType{Name: r.Name, Class: b.classes[r.Class], ObjectType: b.types[r.ObjectType]}
		if d.Class == nil {
			b.errorf(e, "class", "DN type "+r.Name, "unknown source class %q (known: %s)", r.Class, b.classNames())
			continue
		}
		if d.ObjectType == nil {
			b.errorf(e, "objectType", "DN type "+r.Name, "unknown object type %q (known: %s)", r.ObjectType, b.typeNames())
			continue
		}
		if !contains(d.Class.Reaches, d.ObjectType) {
			b.errorf(e, "objectType", "DN type "+r.Name, "object type %s is not reached by source class %s", d.ObjectType.Name, d.Class.Name)
			continue
		}
		b.dnTypes[r.Name] = d
		b.m.DNTypes = append(b.m.DNTypes, d)
	}
}
