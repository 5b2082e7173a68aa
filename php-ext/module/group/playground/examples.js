// Example snapshots for the playground, one or two per profile. The home and buildings states
// are those of the conformance vectors host-tests/vectors/home/06_what_if.json and
// host-tests/vectors/buildings/06_access.json; the emoncms one is a small installer's group.
// The installer's group, shared by the two emoncms examples.
const INSTALLER_STATE = {
 "groups": [
  {
   "id": 1,
   "name": "HeatPumpInstalls",
   "description": "Sites we look after",
   "organization": "IvyHeat",
   "area": "Wales",
   "visibility": "private",
   "access": "closed"
  },
  {
   "id": 2,
   "name": "Study",
   "description": "Research",
   "organization": "",
   "area": "",
   "visibility": "private",
   "access": "closed"
  }
 ],
 "memberships": [
  {
   "groupid": 1,
   "userid": 1,
   "role": 1,
   "admin_rights": "full"
  },
  {
   "groupid": 1,
   "userid": 2,
   "role": 2,
   "admin_rights": "full"
  },
  {
   "groupid": 1,
   "userid": 3,
   "role": 0,
   "admin_rights": "full"
  },
  {
   "groupid": 1,
   "userid": 4,
   "role": 0,
   "admin_rights": "read"
  },
  {
   "groupid": 2,
   "userid": 5,
   "role": 1,
   "admin_rights": "full"
  },
  {
   "groupid": 2,
   "userid": 3,
   "role": 0,
   "admin_rights": "read"
  }
 ],
 "users": [
  {
   "id": 1,
   "username": "installer",
   "admin": false
  },
  {
   "id": 2,
   "username": "technician",
   "admin": false
  },
  {
   "id": 3,
   "username": "site01",
   "admin": false
  },
  {
   "id": 4,
   "username": "site02",
   "admin": false
  },
  {
   "id": 5,
   "username": "researcher",
   "admin": false
  }
 ],
 "feeds": [
  {
   "id": 10,
   "userid": 3,
   "name": "heatpump_elec",
   "tag": "heatpump",
   "public": false
  },
  {
   "id": 11,
   "userid": 3,
   "name": "flowT",
   "tag": "heatpump",
   "public": false
  },
  {
   "id": 12,
   "userid": 4,
   "name": "heatpump_elec",
   "tag": "heatpump",
   "public": true
  }
 ]
};

// The buildings example's state (the vector's), and one of its user groups.
const BUILDINGS_STATE = {
 "partners": [
  {
   "id": "p-gooee",
   "name": "Gooee"
  },
  {
   "id": "a2f70a98-1110-b00f-0000-444400002340",
   "name": "Acme Lighting"
  },
  {
   "id": "p-other",
   "name": "Other Partner"
  }
 ],
 "customers": [
  {
   "id": "4318978d-e111-db91-b687-717af11c10a0",
   "name": "Customer One",
   "partner": "a2f70a98-1110-b00f-0000-444400002340"
  },
  {
   "id": "c-second",
   "name": "Customer Two",
   "partner": "a2f70a98-1110-b00f-0000-444400002340"
  },
  {
   "id": "c-foreign",
   "name": "Foreign Customer",
   "partner": "p-other"
  }
 ],
 "buildings": [
  {
   "id": "131aab1d-e11c-fb91-a687-717af11c4444",
   "name": "Head office",
   "customer": "4318978d-e111-db91-b687-717af11c10a0"
  },
  {
   "id": "a2b00304-cb6a-4566-9d49-d4f2c336a72a",
   "name": "Warehouse",
   "customer": "4318978d-e111-db91-b687-717af11c10a0"
  },
  {
   "id": "b-third",
   "name": "Shop",
   "customer": "c-second"
  },
  {
   "id": "b-foreign",
   "name": "Foreign tower",
   "customer": "c-foreign"
  }
 ],
 "users": [
  {
   "id": "u-gooee-admin",
   "type": "gooee",
   "partner": "p-gooee",
   "customer": null,
   "name": ""
  },
  {
   "id": "u-gooee-care",
   "type": "gooee",
   "partner": "p-gooee",
   "customer": null,
   "name": ""
  },
  {
   "id": "u-partner-admin",
   "type": "partner",
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "customer": null,
   "name": ""
  },
  {
   "id": "u-partner-viewer",
   "type": "partner",
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "customer": null,
   "name": ""
  },
  {
   "id": "u-customers-only",
   "type": "partner",
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "customer": null,
   "name": ""
  },
  {
   "id": "f9b00304-cb6a-4566-9d49-d4f2c336a62b",
   "type": "partner",
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "customer": null,
   "name": ""
  },
  {
   "id": "u-customer-admin",
   "type": "customer",
   "partner": null,
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "name": ""
  },
  {
   "id": "u-customer-user",
   "type": "customer",
   "partner": null,
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "name": ""
  },
  {
   "id": "u-limited",
   "type": "customer",
   "partner": null,
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "name": ""
  },
  {
   "id": "u-c1-new",
   "type": "customer",
   "partner": null,
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "name": ""
  },
  {
   "id": "u-other-partner",
   "type": "partner",
   "partner": "p-other",
   "customer": null,
   "name": ""
  }
 ],
 "user_groups": [
  {
   "id": "g-gooee-admins",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Gooee admins",
   "description": "",
   "type": "gooee",
   "users": [
    "u-gooee-admin"
   ],
   "customer": null,
   "partner": "p-gooee",
   "permission_sets": {
    "manage_partners": [],
    "edit_partners": [],
    "manage_partner_users": [],
    "manage_customers": [],
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "access_partner_analytics": [],
    "access_customer_analytics": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-gooee-care",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Gooee customer care",
   "description": "",
   "type": "gooee",
   "users": [
    "u-gooee-care"
   ],
   "customer": null,
   "partner": "p-gooee",
   "permission_sets": {
    "manage_partner_users": [],
    "manage_customers": [],
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-acme-admins",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Acme admins",
   "description": "",
   "type": "partner",
   "users": [
    "u-partner-admin"
   ],
   "customer": null,
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "permission_sets": {
    "edit_partners": [],
    "manage_partner_users": [],
    "manage_customers": [],
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "access_partner_analytics": [],
    "access_customer_analytics": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-acme-viewers",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Acme viewers",
   "description": "",
   "type": "partner",
   "users": [
    "u-partner-viewer"
   ],
   "customer": null,
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "permission_sets": {
    "view_buildings": [
     "131aab1d-e11c-fb91-a687-717af11c4444"
    ],
    "view_customers": [
     "4318978d-e111-db91-b687-717af11c10a0"
    ]
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-acme-customer-managers",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Acme customer managers",
   "description": "",
   "type": "partner",
   "users": [
    "u-customers-only"
   ],
   "customer": null,
   "partner": "a2f70a98-1110-b00f-0000-444400002340",
   "permission_sets": {
    "manage_customers": [],
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-c1-admins",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Customer one admins",
   "description": "",
   "type": "customer",
   "users": [
    "u-customer-admin"
   ],
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "partner": null,
   "permission_sets": {
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "access_customer_analytics": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-c1-operators",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Customer one operators",
   "description": "",
   "type": "customer",
   "users": [
    "u-customer-user"
   ],
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "partner": null,
   "permission_sets": {
    "control_fixtures": [
     "131aab1d-e11c-fb91-a687-717af11c4444"
    ],
    "view_buildings": [
     "131aab1d-e11c-fb91-a687-717af11c4444"
    ],
    "view_customers": [
     "4318978d-e111-db91-b687-717af11c10a0"
    ]
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": [
    "operators"
   ]
  },
  {
   "id": "g-c1-limited",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Customer one limited admins",
   "description": "",
   "type": "customer",
   "users": [
    "u-limited"
   ],
   "customer": "4318978d-e111-db91-b687-717af11c10a0",
   "partner": null,
   "permission_sets": {
    "manage_customer_users": [
     "4318978d-e111-db91-b687-717af11c10a0"
    ],
    "control_fixtures": [
     "131aab1d-e11c-fb91-a687-717af11c4444"
    ],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  },
  {
   "id": "g-other-admins",
   "created": "2024-01-01T00:00:00Z",
   "modified": "2024-01-01T00:00:00Z",
   "name": "Other partner admins",
   "description": "",
   "type": "partner",
   "users": [
    "u-other-partner"
   ],
   "customer": null,
   "partner": "p-other",
   "permission_sets": {
    "manage_partner_users": [],
    "manage_customers": [],
    "edit_customers": [],
    "manage_customer_users": [],
    "manage_buildings": [],
    "control_fixtures": [],
    "manage_gateways": [],
    "view_buildings": [],
    "view_customers": []
   },
   "customer_scopes": [],
   "partner_scopes": [],
   "tags": []
  }
 ]
};
const C1_OPERATORS = BUILDINGS_STATE.user_groups.find((g) => g.id === "g-c1-operators");

export const EXAMPLES = [
 {
  "id": "emoncms",
  "label": "emoncms: an installer's group",
  "profile": "emoncms",
  "state": INSTALLER_STATE,
  "check": {
   "actor": 1,
   "action": "member.impersonate",
   "object": {
    "group": 1,
    "user": 4
   }
  },
  "what_if": {
   "changes": [
    {
     "kind": "update_membership",
     "groupid": 1,
     "userid": 3,
     "role": 2,
     "admin_rights": "full"
    }
   ],
   "users": [
    1,
    2,
    3,
    4
   ]
  }
 },
 {
  "id": "emoncms-feed",
  "label": "emoncms: who reads a feed",
  "profile": "emoncms",
  "state": INSTALLER_STATE,
  "check": {
   "actor": 5,
   "action": "feed.read",
   "object": {
    "feed": 10
   }
  },
  "what_if": {
   "changes": [
    {
     "kind": "delete_membership",
     "groupid": 1,
     "userid": 2
    }
   ],
   "users": null
  }
 },
 {
  "id": "home",
  "label": "home: a family's devices",
  "profile": "home",
  "state": {
   "homes": [
    {
     "id": "home1",
     "users": [
      {
       "user_id": 1,
       "email": "alice@home.example",
       "user_name": "Alice",
       "role": "administrator"
      },
      {
       "user_id": 2,
       "email": "bob@home.example",
       "user_name": "Bob",
       "role": "family_member"
      },
      {
       "user_id": 3,
       "email": "carol@home.example",
       "user_name": "Carol",
       "role": "guest"
      }
     ],
     "devices": [
      {
       "id": "front_door_lock",
       "class": "security",
       "name": "Front door lock"
      },
      {
       "id": "alarm",
       "class": "security",
       "name": "Alarm"
      },
      {
       "id": "living_room_light",
       "class": "utility",
       "name": "Living room light"
      },
      {
       "id": "smart_tv",
       "class": "utility",
       "name": "Smart TV"
      }
     ]
    }
   ]
  },
  "check": {
   "actor": 3,
   "action": "device.control",
   "object": {
    "home": "home1",
    "device": "front_door_lock"
   }
  },
  "what_if": {
   "changes": [
    {
     "kind": "update_user",
     "home": "home1",
     "user": {
      "user_id": 2,
      "email": "bob@home.example",
      "user_name": "Bob",
      "role": "guest"
     }
    }
   ],
   "users": null
  }
 },
 {
  "id": "buildings",
  "label": "buildings: partners, customers, buildings",
  "profile": "buildings",
  "state": BUILDINGS_STATE,
  "check": {
   "actor": "u-customer-user",
   "action": "control_fixtures",
   "object": {
    "object": "131aab1d-e11c-fb91-a687-717af11c4444"
   }
  },
  "what_if": {
   "changes": [
    {
     "kind": "update_user_group",
     "user_group": { ...C1_OPERATORS, "users": [...C1_OPERATORS.users, "u-c1-new"] }
    }
   ],
   "users": null
  }
 }
];
