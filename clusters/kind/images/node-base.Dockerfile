# The base of the air-gapped kind node image: what kind's own images/base
# Dockerfile (sigs.k8s.io/kind, pinned in clusters/binaries/pins.ts) builds,
# from Debian packages instead of release downloads. The build context holds
# kind's base files (images/base/files of the pinned kind module, taken from
# the Go module proxy at build time, never committed).
ARG ROOTFS
FROM ${ROOTFS}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      systemd \
      conntrack iptables nftables iproute2 ethtool util-linux mount kmod \
      libseccomp2 pigz \
      e2fsprogs \
      bash ca-certificates curl jq procps \
      containerd runc containernetworking-plugins \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
# After the packages, so that kind's files replace theirs (containerd's config).
COPY files/ /
RUN chmod 0755 /usr/local/bin/* /kind/bin/* \
    && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
    && rm -f /lib/systemd/system/multi-user.target.wants/* \
    && rm -f /etc/systemd/system/*.wants/* \
    && rm -f /lib/systemd/system/local-fs.target.wants/* \
    && rm -f /lib/systemd/system/sockets.target.wants/*udev* \
    && rm -f /lib/systemd/system/sockets.target.wants/*initctl* \
    && rm -f /lib/systemd/system/basic.target.wants/* \
    && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
    && ln -sf /usr/lib/systemd/systemd /sbin/init \
    # kind's units and containerd config expect upstream's install paths
    && ln -s /usr/bin/containerd /usr/local/bin/containerd \
    && ln -s /usr/bin/ctr /usr/local/bin/ctr \
    && mkdir -p /opt/cni && ln -s /usr/lib/cni /opt/cni/bin \
    # Pods may not lower their oom_score_adj where CAP_SYS_RESOURCE is missing
    # (the runc wrapper of this project's CI machines drops it): containerd then keeps them at its own.
    && sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml \
    && ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' \
      > /etc/containerd/cri-base.json \
    && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
    && systemctl mask systemd-binfmt.service \
    && mkdir -p /etc/kubernetes/manifests
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
