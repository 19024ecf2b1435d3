{{/* Names ------------------------------------------------------------------------------------- */}}

{{- define "hfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hfleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}
{{/* 52 characters: a CronJob name must leave room for the 11-character Job suffix. */}}

{{- define "hfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hfleet.commonLabels" -}}
helm.sh/chart: {{ include "hfleet.chart" . }}
{{ include "hfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "hfleet.labels" -}}
{{ include "hfleet.commonLabels" . }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "hfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hfleet.specsConfigMap" -}}
{{- default (printf "%s-specs" (include "hfleet.fullname" .)) .Values.specs.existingConfigMap }}
{{- end }}

{{- define "hfleet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Where hfleet reads the specs inside the container. */}}
{{- define "hfleet.specsPath" -}}
{{- if eq .Values.specs.source "git" }}
{{- $sub := trimAll "/" .Values.specs.git.subPath }}
{{- if $sub }}{{ printf "/git/current/%s" $sub }}{{ else }}/git/current{{ end }}
{{- else }}/specs
{{- end }}
{{- end }}

{{/* hfleet's arguments: global options, the subcommand and its options, extraArgs, the specs path. */}}
{{- define "hfleet.args" -}}
- --log-format
- {{ .Values.logFormat | quote }}
{{- if eq .Values.mode "controller" }}
- reconcile
- --interval
- {{ .Values.controller.interval | quote }}
- --listen
- {{ printf "0.0.0.0:%d" (int .Values.controller.port) | quote }}
{{- else }}
- apply
- --yes
{{- if .Values.cronjob.wait }}
- --wait
- --timeout
- {{ .Values.cronjob.waitTimeout | quote }}
{{- end }}
{{- if .Values.cronjob.smoke }}
- --smoke
{{- end }}
{{- end }}
{{- if .Values.prune }}
- --prune
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
- {{ include "hfleet.specsPath" . | quote }}
{{- end }}

{{/* A git-sync container; call with (dict "root" $ "oneTime" true|false). */}}
{{- define "hfleet.gitSync" -}}
{{- $v := .root.Values }}
{{- $git := $v.specs.git -}}
- name: {{ if .oneTime }}git-clone{{ else }}git-sync{{ end }}
  image: {{ printf "%s:%s" $git.image.repository $git.image.tag | quote }}
  imagePullPolicy: {{ $git.image.pullPolicy }}
  args:
    - {{ printf "--repo=%s" $git.repo | quote }}
    - {{ printf "--ref=%s" $git.ref | quote }}
    - --root=/git
    - --link=current
    - {{ printf "--period=%s" $git.period | quote }}
    - {{ printf "--depth=%d" (int $git.depth) | quote }}
    {{- if .oneTime }}
    - --one-time
    {{- else }}
    - {{ printf "--http-bind=:%d" (int $git.httpPort) | quote }}
    {{- end }}
    {{- if eq $git.auth.type "https" }}
    - {{ printf "--username=%s" $git.auth.username | quote }}
    - {{ printf "--password-file=/etc/git-secret/%s" $git.auth.passwordKey | quote }}
    {{- else if eq $git.auth.type "ssh" }}
    - {{ printf "--ssh-key-file=/etc/git-secret/%s" $git.auth.sshKeyKey | quote }}
    - --ssh-known-hosts=true
    - {{ printf "--ssh-known-hosts-file=/etc/git-secret/%s" $git.auth.knownHostsKey | quote }}
    {{- end }}
    {{- range $git.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  env:
    - name: HOME
      value: /tmp
  {{- if not .oneTime }}
  ports:
    - name: git-sync
      containerPort: {{ $git.httpPort }}
      protocol: TCP
  livenessProbe:
    {{- toYaml $git.livenessProbe | nindent 4 }}
  readinessProbe:
    {{- toYaml $git.readinessProbe | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml (mergeOverwrite (deepCopy $v.securityContext) (dict "runAsUser" $git.runAsUser "runAsGroup" $git.runAsGroup)) | nindent 4 }}
  resources:
    {{- toYaml $git.resources | nindent 4 }}
  volumeMounts:
    - name: specs-git
      mountPath: /git
    # Its own /tmp (git config, askpass files): hfleet's /tmp is not shared with another UID.
    - name: git-tmp
      mountPath: /tmp
    {{- if ne $git.auth.type "none" }}
    - name: git-secret
      mountPath: /etc/git-secret
      readOnly: true
    {{- end }}
{{- end }}

{{/* Where the hfleet container reads the specs: the git checkout or the ConfigMap, read-only. */}}
{{- define "hfleet.specsMount" -}}
{{- if eq .Values.specs.source "git" -}}
- name: specs-git
  mountPath: /git
  readOnly: true
{{- else -}}
- name: specs
  mountPath: /specs
  readOnly: true
{{- end }}
{{- end }}

{{/* The volumes behind hfleet.specsMount (and git-sync's own). */}}
{{- define "hfleet.specsVolumes" -}}
{{- if eq .Values.specs.source "git" -}}
- name: specs-git
  emptyDir: {}
- name: git-tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if ne .Values.specs.git.auth.type "none" }}
- name: git-secret
  secret:
    secretName: {{ .Values.specs.git.auth.existingSecret | quote }}
    defaultMode: 0440
{{- end }}
{{- else -}}
- name: specs
  configMap:
    name: {{ include "hfleet.specsConfigMap" . | quote }}
{{- end }}
{{- end }}

{{/* Checks the schema cannot express; included by every workload template, so a bad value fails
     `helm template` and `helm install` before anything is applied. */}}
{{- define "hfleet.validate" -}}
{{- /* A Hugging Face token pasted anywhere in the values (the message never repeats it). */ -}}
{{- if regexMatch "hf_[A-Za-z0-9]{30,}" (toJson .Values) }}
{{- fail "a literal Hugging Face token is in the values; put it in a Secret and set token.existingSecret" }}
{{- end }}
{{- $dirs := dict }}
{{- range .Values.secretFiles }}
{{- $dir := default .secretName .dir }}
{{- if hasKey $dirs $dir }}
{{- fail (printf "secretFiles: two Secrets are mounted at %s/%s; give one a different dir" $.Values.secretFilesDir $dir) }}
{{- end }}
{{- $_ := set $dirs $dir true }}
{{- end }}
{{- end }}

{{/* The pod spec shared by the CronJob's Jobs and the controller's Deployment. */}}
{{- define "hfleet.podSpec" -}}
{{- $controller := eq .Values.mode "controller" }}
{{- $git := eq .Values.specs.source "git" -}}
serviceAccountName: {{ include "hfleet.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $controller }}
terminationGracePeriodSeconds: {{ .Values.controller.terminationGracePeriodSeconds }}
{{- else }}
restartPolicy: Never
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- if $git }}
initContainers:
  {{- include "hfleet.gitSync" (dict "root" . "oneTime" true) | nindent 2 }}
{{- end }}
containers:
  - name: hfleet
    image: {{ include "hfleet.image" . | quote }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command: ["hfleet"]
    args:
      {{- include "hfleet.args" . | nindent 6 }}
    env:
      - name: HF_TOKEN
        valueFrom:
          secretKeyRef:
            name: {{ .Values.token.existingSecret | quote }}
            key: {{ .Values.token.key | quote }}
      {{- with .Values.apiUrl }}
      - name: HFLEET_API_URL
        value: {{ . | quote }}
      {{- end }}
      - name: HFLEET_STATE_DIR
        value: /var/lib/hfleet
      # Specs' from_file secrets are read only below this directory (the secretFiles mounts).
      - name: HFLEET_SECRETS_DIR
        value: {{ .Values.secretFilesDir | quote }}
      - name: HOME
        value: /tmp
      - name: PYTHONDONTWRITEBYTECODE
        value: "1"
      {{- with .Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with .Values.extraEnvFrom }}
    envFrom:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- if $controller }}
    ports:
      - name: metrics
        containerPort: {{ .Values.controller.port }}
        protocol: TCP
    livenessProbe:
      {{- toYaml .Values.controller.livenessProbe | nindent 6 }}
    readinessProbe:
      {{- toYaml .Values.controller.readinessProbe | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      - name: state
        mountPath: /var/lib/hfleet
      {{- include "hfleet.specsMount" . | nindent 6 }}
      {{- range $i, $f := .Values.secretFiles }}
      - name: {{ printf "secret-file-%d" $i }}
        mountPath: {{ printf "%s/%s" $.Values.secretFilesDir (default $f.secretName $f.dir) | quote }}
        readOnly: true
      {{- end }}
  {{- if and $git $controller }}
  {{- include "hfleet.gitSync" (dict "root" . "oneTime" false) | nindent 2 }}
  {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
  - name: state
    emptyDir:
      sizeLimit: {{ .Values.stateSizeLimit }}
  {{- include "hfleet.specsVolumes" . | nindent 2 }}
  {{- range $i, $f := .Values.secretFiles }}
  - name: {{ printf "secret-file-%d" $i }}
    secret:
      secretName: {{ $f.secretName | quote }}
      defaultMode: {{ $f.defaultMode | default 288 }}
      {{- with $f.items }}
      items:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "hfleet.podMetadata" -}}
{{- $annotations := dict }}
{{- if and (eq .Values.specs.source "configmap") (not .Values.specs.existingConfigMap) }}
{{- $_ := set $annotations "checksum/specs" (include (print $.Template.BasePath "/configmap-specs.yaml") . | sha256sum) }}
{{- end }}
{{- if and (eq .Values.mode "controller") .Values.metrics.podAnnotations }}
{{- $_ := set $annotations "prometheus.io/scrape" "true" }}
{{- $_ := set $annotations "prometheus.io/port" (toString .Values.controller.port) }}
{{- $_ := set $annotations "prometheus.io/path" "/metrics" }}
{{- end }}
{{- $annotations = merge $annotations .Values.podAnnotations -}}
labels:
  {{- include "hfleet.selectorLabels" . | nindent 2 }}
  app.kubernetes.io/component: {{ .Values.mode }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
