package v1alpha1

// Condition types set on ImageUpdater status.
const (
	// ConditionReady is True when the last cycle completed without errors.
	ConditionReady = "Ready"
	// ConditionReconciling is True while a cycle is in progress.
	ConditionReconciling = "Reconciling"
	// ConditionError is True when the last cycle failed or the spec is
	// invalid; its reason tells which.
	ConditionError = "Error"
)

// Condition reasons set on ImageUpdater status.
const (
	// ReasonReconciled: the last cycle completed.
	ReasonReconciled = "Reconciled"
	// ReasonProgressing: a cycle is running.
	ReasonProgressing = "Progressing"
	// ReasonInvalidSpec: the spec cannot be used (bad strategy, regexp,
	// image name, ...); retrying will not help until it changes.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonNoApplicationsMatched: no application matched the selectors.
	ReasonNoApplicationsMatched = "NoApplicationsMatched"
	// ReasonApplicationConflict: another ImageUpdater manages an application
	// this one matches.
	ReasonApplicationConflict = "ApplicationConflict"
	// ReasonRegistryError: a registry could not be queried.
	ReasonRegistryError = "RegistryError"
	// ReasonWriteBackFailed: a chosen version could not be written.
	ReasonWriteBackFailed = "WriteBackFailed"
	// ReasonVerificationFailed: an image signature did not verify.
	ReasonVerificationFailed = "VerificationFailed"
)
