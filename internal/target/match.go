package target

// Named reports whether a trigger or hold request naming application and
// image ("" matches any) selects the target: the application by name or
// namespace/name, the image by alias, name or full name.
func (t Target) Named(application, image string) bool {
	appOK := application == "" || application == t.App.Name || application == t.App.String()
	imgOK := image == "" || image == t.Image.Alias || image == t.Image.Name || image == t.Image.FullName()
	return appOK && imgOK
}

// InRepository reports whether the target's image lives in the repository
// (registry host and normalised path) a registry webhook names.
func (t Target) InRepository(registry, repository string) bool {
	return t.Image.Registry == registry && t.Image.Repository == repository
}
