#!/bin/bash
# DevStack plugin of cellv2-conformance: after DevStack has built the cells
# and tempest.conf, write the cells inventory the checks read (discovered
# read-only from the nova API database) and point tempest.conf at it.
# Settings (and their defaults) are in devstack/settings.
#
#   enable_plugin cellv2-conformance https://opendev.org/x/cellv2-conformance
#
# Only where tempest runs (the controller): a compute-only subnode has
# nothing to do.

function install_cellv2_conformance {
    # With its dependencies, under DevStack's upper-constraints: the
    # test-config phase runs `cellv2-conformance inventory`, which needs
    # more than nova's requirements (testtools, python-subunit, tempest).
    setup_develop $CELLV2_CONFORMANCE_DIR
}

function configure_tempest_for_cellv2_conformance {
    echo_summary "cellv2-conformance: writing $CELLV2_INVENTORY"
    $CELLV2_CONFORMANCE_BIN_DIR/cellv2-conformance inventory \
        --nova-conf $NOVA_CONF --output $CELLV2_INVENTORY
    # Mode 0600 (it holds the cells' DB and MQ URLs): let the user the
    # Zuul jobs run tempest as read it too.
    if id tempest >/dev/null 2>&1; then
        sudo setfacl -m u:tempest:r $CELLV2_INVENTORY
    fi
    iniset $TEMPEST_CONFIG cellv2 inventory $CELLV2_INVENTORY
    iniset $TEMPEST_CONFIG cellv2 expected_cells ${NOVA_NUM_CELLS:-1}

    if [[ -n "$CELLV2_CROSS_CELL_ROLE" ]]; then
        local policy=$NOVA_CONF_DIR/policy.yaml
        if ! grep -q "compute:servers:resize:cross_cell.*role:$CELLV2_CROSS_CELL_ROLE" $policy 2>/dev/null; then
            die $LINENO "CELLV2_CROSS_CELL_ROLE=$CELLV2_CROSS_CELL_ROLE but $policy does not grant compute:servers:resize:cross_cell to role:$CELLV2_CROSS_CELL_ROLE"
        fi
        get_or_create_role $CELLV2_CROSS_CELL_ROLE
        iniset $TEMPEST_CONFIG cellv2 cross_cell_resize True
        iniset $TEMPEST_CONFIG cellv2 cross_cell_resize_role $CELLV2_CROSS_CELL_ROLE
    fi
}

if is_service_enabled tempest; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing cellv2-conformance"
        install_cellv2_conformance
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        configure_tempest_for_cellv2_conformance
    fi
fi
