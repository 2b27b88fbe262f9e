{{/* The chart's name, at most 63 characters. */}}
{{- define "certdesk.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: objects are called after it. */}}
{{- define "certdesk.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "certdesk.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "certdesk.selectorLabels" -}}
app.kubernetes.io/name: {{ include "certdesk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "certdesk.labels" -}}
helm.sh/chart: {{ include "certdesk.chart" . }}
{{ include "certdesk.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "certdesk.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "certdesk.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Whether the backend serves HTTPS itself. */}}
{{- define "certdesk.servesTls" -}}
{{- if ne .Values.tls.mode "proxy" }}true{{ end }}
{{- end }}

{{- define "certdesk.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "certdesk.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{- define "certdesk.renewalSecretName" -}}
{{- default (printf "%s-renewal" (include "certdesk.fullname" .)) .Values.renewalSecret.existingSecret }}
{{- end }}

{{- define "certdesk.autoApprove" -}}
{{- if or .Values.autoApprove.invites .Values.autoApprove.renewals }}true{{ end }}
{{- end }}

{{- define "certdesk.servicePort" -}}
{{- if .Values.service.port }}{{ .Values.service.port }}{{ else if include "certdesk.servesTls" . }}443{{ else }}80{{ end }}
{{- end }}

{{- define "certdesk.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The backend's ServiceAccount as a binding's subject. */}}
{{- define "certdesk.subjects" -}}
- kind: ServiceAccount
  name: {{ include "certdesk.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{- define "certdesk.webhookSecretName" -}}
{{- default (printf "%s-webhook-tls" (include "certdesk.fullname" .)) .Values.webhook.tls.secretName }}
{{- end }}
