package version

// Parts is a version split the way its family's tools split it.
type Parts struct {
	Epoch   string // "" when absent
	Version string // RPM Version; Debian upstream version
	Release string // RPM Release; Debian revision ("" when native or absent)
}

// Split checks v with the family's rules and returns its parts.
func Split(f Family, v string) (Parts, error) {
	switch f {
	case RPM:
		e, err := checkRPM(v, true)
		if err != nil {
			return Parts{}, err
		}
		return Parts{Epoch: e.epoch, Version: e.version, Release: e.release}, nil
	case Deb:
		d, err := checkDeb(v)
		if err != nil {
			return Parts{}, err
		}
		return Parts{Epoch: d.epoch, Version: d.upstream, Release: d.revision}, nil
	}
	return Parts{}, unknownFamily(f)
}
