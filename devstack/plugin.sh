#!/bin/bash
# DevStack plugin of cellv2-conformance: after DevStack has built the cells
# and tempest.conf, write the cells inventory the checks read (discovered
# read-only from the nova API database) and point tempest.conf at it.
#
#   enable_plugin cellv2-conformance https://opendev.org/x/cellv2-conformance

CELLV2_CONFORMANCE_DIR=${CELLV2_CONFORMANCE_DIR:-$DEST/cellv2-conformance}
CELLV2_INVENTORY=${CELLV2_INVENTORY:-$DATA_DIR/cells-inventory.yaml}

if [[ "$1" == "stack" && "$2" == "install" ]]; then
    # Its runtime needs (PyYAML, PyMySQL) are already in DevStack's venv;
    # tempest loads the plugin from its own venv (TEMPEST_PLUGINS).
    pip_install --no-deps -e "$CELLV2_CONFORMANCE_DIR"
fi

if [[ "$1" == "stack" && "$2" == "test-config" ]]; then
    if is_service_enabled tempest; then
        echo_summary "cellv2-conformance: writing $CELLV2_INVENTORY"
        "$NOVA_BIN_DIR/cellv2-conformance" inventory \
            --nova-conf "$NOVA_CONF" --output "$CELLV2_INVENTORY"
        # Mode 0600 (it holds the cells' DB and MQ URLs): let the user the
        # Zuul jobs run tempest as read it too.
        if id tempest >/dev/null 2>&1; then
            sudo setfacl -m u:tempest:r "$CELLV2_INVENTORY"
        fi
        iniset "$TEMPEST_CONFIG" cellv2 inventory "$CELLV2_INVENTORY"
        iniset "$TEMPEST_CONFIG" cellv2 expected_cells "${NOVA_NUM_CELLS:-1}"
    fi
fi
