{{/* Name of the chart, or nameOverride. */}}
{{- define "imagepilot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects. */}}
{{- define "imagepilot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "imagepilot.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Namespace of the release's objects. */}}
{{- define "imagepilot.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* Namespace of Argo CD. */}}
{{- define "imagepilot.argocdNamespace" -}}
{{- default (include "imagepilot.namespace" .) .Values.argocdNamespace -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "imagepilot.labels" -}}
app.kubernetes.io/name: {{ include "imagepilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels that select the controller's pods. */}}
{{- define "imagepilot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "imagepilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Name of the service account. */}}
{{- define "imagepilot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "imagepilot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Data of the configuration ConfigMap: only the keys that are set. Empty
output means the chart renders no ConfigMap.
*/}}
{{- define "imagepilot.configData" -}}
{{- $c := .Values.config -}}
{{- range $key := list "kube.events" "git.user" "git.email" "git.commit-signing-key" "git.commit-sign-off" "git.commit-signing-method" "log.level" }}
{{- $v := index $c $key }}
{{- if or (kindIs "bool" $v) (ne (toString $v) "") }}
{{ $key }}: {{ toString $v | quote }}
{{- end }}
{{- end }}
{{- with (index $c "git.commit-message-template") }}
git.commit-message-template: |
  {{- . | nindent 2 }}
{{- end }}
{{- with $c.registries }}
registries.conf: |
  {{- dict "registries" . | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Fails when the release would replace a ConfigMap it does not own (one left
by Argo CD Image Updater or created by hand). Arguments: root context, name.
*/}}
{{- define "imagepilot.ownedOrAbsent" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $existing := lookup "v1" "ConfigMap" (include "imagepilot.namespace" $root) $name -}}
{{- if $existing -}}
{{- $ann := dig "metadata" "annotations" (dict) $existing -}}
{{- if or (ne (index $ann "meta.helm.sh/release-name" | default "") $root.Release.Name) (ne (index $ann "meta.helm.sh/release-namespace" | default "") (include "imagepilot.namespace" $root)) -}}
{{- fail (printf "ConfigMap %s/%s exists and is not part of release %s: the chart does not replace it. Remove the config settings from your values to keep using it as it is (imagepilot reads its keys), or put them into that ConfigMap yourself." (include "imagepilot.namespace" $root) $name $root.Release.Name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
