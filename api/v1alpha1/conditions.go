package v1alpha1

// Condition types set on ImageUpdater status (upstream v1.3's).
const (
	// ConditionReady is True when the last pass ran to the end, with or
	// without image-level errors (an ImageUpdater that matches no
	// application is Ready too); False when the pass could not run.
	ConditionReady = "Ready"
	// ConditionReconciling is True while a pass is in progress.
	ConditionReconciling = "Reconciling"
	// ConditionError is True when the last pass had errors (its message
	// lists them) or could not run.
	ConditionError = "Error"
	// ConditionStalled is True when the ImageUpdater's own configuration
	// keeps every pass from running (an invalid applicationRefs entry);
	// the controller does not retry until the spec changes. Absent
	// otherwise.
	ConditionStalled = "Stalled"
)

// Condition reasons, as upstream v1.3 sets them.
const (
	// ReasonReconciling (Reconciling=True): a pass is running.
	ReasonReconciling = "Reconciling"
	// ReasonIdle (Reconciling=False): the last pass completed.
	ReasonIdle = "Idle"
	// ReasonReconcileSucceeded (Ready=True): the last pass had no errors.
	ReasonReconcileSucceeded = "ReconcileSucceeded"
	// ReasonReconcileCompletedWithErrors (Ready=True): the last pass ran to
	// the end but some applications or images had errors.
	ReasonReconcileCompletedWithErrors = "ReconcileCompletedWithErrors"
	// ReasonReconcileFailed (Ready=False): the pass could not run (for
	// example the Applications could not be listed).
	ReasonReconcileFailed = "ReconcileFailed"
	// ReasonNoErrors (Error=False): the last pass had no errors.
	ReasonNoErrors = "NoErrors"
	// ReasonPartialErrors (Error=True): some applications or images had
	// errors (configuration, conflict, registry, write-back); the message
	// lists every one.
	ReasonPartialErrors = "PartialErrors"
	// ReasonReconcileError (Error=True): the pass could not run.
	ReasonReconcileError = "ReconcileError"
	// ReasonInvalidConfiguration (Stalled=True, Ready=False, Error=True):
	// the spec itself is invalid; the message names the field.
	ReasonInvalidConfiguration = "InvalidConfiguration"
)
