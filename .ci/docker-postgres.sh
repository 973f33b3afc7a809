#!/usr/bin/env bash
# (A copy of the project's shared tools/docker-postgres.sh, kept here so a
# fresh clone runs CI on its own.)
# docker-postgres.sh: a running Docker engine and a local PostgreSQL image on a
# machine that reaches no container registry, so that code which starts
# PostgreSQL through testcontainers can run for real here (as on a laptop).
#
#   bash docker-postgres.sh           # install docker.io, start dockerd, build the
#                                      # image; prints the image's name:tag on stdout
#   bash docker-postgres.sh stop      # stop the dockerd this script started
#   bash docker-postgres.sh purge     # stop, then remove the packages, images and rootfs
#   bash docker-postgres.sh --help
#
# Needs root and Debian bookworm's package mirror (the one apt already uses).
# First run on a fresh machine: 1.5-3 minutes (apt, debootstrap, PostgreSQL
# install, import); once built: about 1 second (it only starts dockerd).
#
# The image is Debian bookworm's PostgreSQL 15 with an entrypoint that behaves
# like the official `postgres` image for testcontainers: it honours
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, passes extra arguments
# (`-c fsync=off`) to postgres, and logs "database system is ready to accept
# connections" on stdout (init server) and then stderr (real server).
# Point your code at it by name, e.g.
#   ALCHEMY_TEST_POSTGRES_IMAGE=$(bash docker-postgres.sh) cargo test ...
#
# Knobs (environment):
#   PG_IMAGE     name:tag of the image (default alchemy-local/postgres:15)
#   PG_PKG       Debian package installed in it (default postgresql-15)
#   REBUILD=1    rebuild even if the image exists; SMOKE=0 skips the smoke test
#   ROOTFS       debootstrap directory (default /var/tmp/pg-rootfs)
#   DOCKERD_LOG  (default /tmp/dockerd.log)
#
# Notes:
#  - Debian's dockerd is 20.10 (API 1.41); testcontainers 0.27 (bollard 0.20)
#    talks to it because bollard sends no API version in its URLs.
#  - While this dockerd runs, any test run on the machine that asks
#    testcontainers for a container gets one.
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '4,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
set -euo pipefail

PG_IMAGE=${PG_IMAGE:-alchemy-local/postgres:15}
PG_PKG=${PG_PKG:-postgresql-15}
ROOTFS=${ROOTFS:-/var/tmp/pg-rootfs}
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
PIDFILE=${PIDFILE:-/run/docker-postgres.dockerd.pid}

ts() { date -u +%H:%M:%S; }
step() { echo "[$(ts)] $*" >&2; }
T0=$(date +%s)

# ---------------------------------------------------------------- stop
if [[ ${1:-} == stop ]]; then
    if [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        pid=$(cat "$PIDFILE")
        step "stopping dockerd pid $pid"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        rm -f "$PIDFILE"
    else
        step "no dockerd started by this script is running"
    fi
    exit 0
fi

# ---------------------------------------------------------------- purge
# Back to the machine as it was before the first run (on these machines docker
# is the only netfilter user: no iptables/nft was installed before it, so its
# `ip nat` / `ip filter` tables are dropped whole). ip_forward stays 1.
if [[ ${1:-} == purge ]]; then
    "$0" stop
    docker_pkgs="docker.io containerd runc tini cgroupfs-mount criu needrestart apparmor iptables nftables \
        libip6tc2 libnet1 libnetfilter-conntrack3 libnfnetlink0 libnftables1 libnftnl11 libnl-3-200 \
        libprotobuf-c1 libprotobuf32 python3-protobuf libintl-perl libintl-xs-perl libmodule-find-perl \
        libproc-processtable-perl libsort-naturally-perl libterm-readkey-perl debootstrap arch-test"
    ip link delete docker0 2>/dev/null || true
    if command -v nft >/dev/null; then nft delete table ip nat 2>/dev/null || true; nft delete table ip filter 2>/dev/null || true; fi
    rm -rf /var/lib/docker /var/lib/containerd /etc/docker /run/docker /run/containerd "$ROOTFS"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $docker_pkgs >/dev/null
    step "purged"
    exit 0
fi

# ---------------------------------------------------------------- 1. packages
# docker.io brings dockerd 20.10, containerd 1.6, runc 1.1, iptables (nft),
# tini (docker-init). debootstrap builds the image's root filesystem.
# policy-rc.d in these machines denies service starts; that is fine, we start
# dockerd by hand below (there is no systemd).
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    step "apt-get install docker.io debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q docker.io debootstrap >/dev/null
fi

# ---------------------------------------------------------------- 2. dockerd
# Started in the background by hand. Storage driver: overlay2 works on this
# ext4 root (kernel has overlay, bridge, veth, nf_tables built in), cgroup v1
# (cgroupfs driver). The default docker0 bridge and iptables NAT work, so
# published ports (which testcontainers uses) work.
# DOCKER_HOST is left at the default unix:///var/run/docker.sock, which is
# where testcontainers looks.
if ! docker info >/dev/null 2>&1; then
    step "starting dockerd (log: $DOCKERD_LOG)"
    nohup dockerd >"$DOCKERD_LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { tail -30 "$DOCKERD_LOG" >&2; exit 1; }
    step "dockerd up, pid $(cat "$PIDFILE"), storage $(docker info -f '{{.Driver}}')"
fi

# ---------------------------------------------------------------- 3. image
if docker image inspect "$PG_IMAGE" >/dev/null 2>&1 && [[ ${REBUILD:-} != 1 ]]; then
    step "image $PG_IMAGE already present"
else
    # The mirror the host's apt already uses (read at run time; the host name
    # is not written into any kept file).
    MIRROR=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
    if [[ -z $MIRROR ]]; then
        MIRROR=$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    fi
    [[ -n $MIRROR ]] || { echo "no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }

    # 3a. Minimal Debian bookworm root filesystem.
    if [[ ! -x $ROOTFS/usr/lib/postgresql/15/bin/postgres ]]; then
        rm -rf "$ROOTFS"
        step "debootstrap --variant=minbase bookworm $ROOTFS"
        debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/tmp/debootstrap.log 2>&1 \
            || { tail -30 /tmp/debootstrap.log >&2; exit 1; }

        # 3b. PostgreSQL inside it. No default cluster (the entrypoint makes
        # its own in $PGDATA), no service start, no docs/locales kept.
        step "chroot apt-get install $PG_PKG"
        mkdir -p "$ROOTFS/etc/postgresql-common/createcluster.d"
        echo 'create_main_cluster = false' >"$ROOTFS/etc/postgresql-common/createcluster.d/no-main.conf"
        printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"; chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
        mount --bind /proc "$ROOTFS/proc"
        trap 'umount "$ROOTFS/proc" 2>/dev/null || true' EXIT
        chroot "$ROOTFS" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
            sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $PG_PKG" >/tmp/pg-chroot.log 2>&1 \
            || { tail -30 /tmp/pg-chroot.log >&2; exit 1; }
        umount "$ROOTFS/proc"; trap - EXIT
        chroot "$ROOTFS" apt-get clean
        rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* \
               "$ROOTFS"/usr/share/locale/* "$ROOTFS"/var/lib/postgresql/15/main "$ROOTFS"/etc/postgresql/15/main
        # No trace of the mirror kept in it (sources, debootstrap's log).
        rm -f "$ROOTFS"/etc/apt/sources.list "$ROOTFS"/etc/apt/sources.list.d/* "$ROOTFS"/var/log/bootstrap.log
    fi

    # 3c. Entrypoint mimicking the official postgres image closely enough for
    # testcontainers-modules' Postgres:
    #  - env POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (defaults postgres),
    #    POSTGRES_HOST_AUTH_METHOD (default: md5 when a password is set)
    #  - args: "-c fsync=off" (the module's default cmd) are passed to postgres;
    #    a first arg starting with '-' means "postgres <args>"
    #  - readiness: the module waits for "database system is ready to accept
    #    connections" on stderr AND then on stdout. Like the official image, a
    #    temporary server started by pg_ctl during init logs to stdout (this
    #    also runs /docker-entrypoint-initdb.d/*.sql|*.sh), then the real server
    #    logs to stderr.
    cat >"$ROOTFS/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/bash
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi
if [[ ${1:-} == postgres && $(id -u) == 0 ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [[ ${1:-} == postgres && ! -s $PGDATA/PG_VERSION ]]; then
    : "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
    if [[ -n ${POSTGRES_PASSWORD:-} ]]; then auth=${POSTGRES_HOST_AUTH_METHOD:-md5}
    else auth=${POSTGRES_HOST_AUTH_METHOD:-trust}; fi
    pwfile=$(mktemp); printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    initdb --username="$POSTGRES_USER" ${POSTGRES_PASSWORD:+--pwfile="$pwfile"} \
        --auth-local=trust --auth-host="$auth" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    { echo "host all all 0.0.0.0/0 $auth"; echo "host all all ::/0 $auth"; } >>"$PGDATA/pg_hba.conf"
    # Temporary server on the socket only; its log (incl. "ready to accept
    # connections") goes to stdout.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c fsync=off" -w start
    if [[ $POSTGRES_DB != postgres ]]; then
        psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case $f in
            *.sh)  . "$f" ;;
            *.sql) psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f "$f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "PostgreSQL init process complete; ready for start up."
fi
# Real server: all addresses, log to stderr (no logging_collector).
if [[ ${1:-} == postgres ]]; then shift; exec postgres -c listen_addresses='*' "$@"; fi
exec "$@"
EOF
    chmod 755 "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
    mkdir -p "$ROOTFS/docker-entrypoint-initdb.d"

    # 3d. Import as an image with the config the official image has
    # (dockerd 20.10's import refuses STOPSIGNAL, so the stop signal stays
    # SIGTERM = postgres "smart" shutdown; testcontainers removes with force anyway).
    step "docker import -> $PG_IMAGE"
    tar -C "$ROOTFS" --numeric-owner -c . | docker import \
        --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
        --change 'CMD ["postgres"]' \
        --change 'ENV PATH=/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV PGDATA=/var/lib/postgresql/data' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'EXPOSE 5432' \
        - "$PG_IMAGE" >/dev/null
    step "image $PG_IMAGE: $(docker image inspect -f '{{.Size}}' "$PG_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
fi

# ---------------------------------------------------------------- 4. smoke test
# Same shape as testcontainers' start: env + "-c fsync=off", wait for the log line.
if [[ ${SMOKE:-1} == 1 ]]; then
    step "smoke test"
    cid=$(docker run -d --rm -P -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD=postgres \
          -e POSTGRES_DB=postgres "$PG_IMAGE" -c fsync=off)
    for _ in $(seq 1 120); do
        docker logs "$cid" 2>&1 >/dev/null | grep -q "ready to accept connections" && break; sleep 0.25
    done
    docker exec "$cid" psql -U postgres -tAc 'select version()' >&2
    docker rm -f "$cid" >/dev/null
fi
step "done in $(( $(date +%s) - T0 )) s"
echo "$PG_IMAGE"
