// Package target turns user configuration (Application annotations and
// ImageUpdater objects) into Targets: one image of one application to keep up
// to date, with its update settings, where its tag lives in the manifests,
// and how changes are written back.
//
// Configuration errors stop only the item they belong to: parsing returns
// the valid targets together with one error per bad item. For an
// ImageUpdater the item is the selected application: any bad or
// unsupported setting in its selection leaves the whole application alone
// (see TargetsFor and Selected), so it is never written with other settings.
package target
