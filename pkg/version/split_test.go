package version

import "testing"

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f       Family
		in      string
		want    Parts
		wantErr bool
	}{
		{Deb, "2.10-3", Parts{"", "2.10", "3"}, false},
		{Deb, "1:2.4.62-1~deb12u2", Parts{"1", "2.4.62", "1~deb12u2"}, false},
		{Deb, "1.2-3-4", Parts{"", "1.2-3", "4"}, false},
		{Deb, "1.2", Parts{"", "1.2", ""}, false},
		{Deb, "a1.2", Parts{}, true},
		{RPM, "2:2.2.19-10%{?dist}", Parts{"2", "2.2.19", "10%{?dist}"}, false},
		{RPM, "2.17", Parts{"", "2.17", ""}, false},
		{RPM, "2 17-1", Parts{}, true},
		{"zip", "1", Parts{}, true},
	}
	for _, tt := range tests {
		got, err := Split(tt.f, tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Split(%s, %q) = %+v, %v; want %+v, error %v", tt.f, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
