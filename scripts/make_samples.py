"""Write the sample files in resources/samples/.

Run from anywhere:  python scripts/make_samples.py

Every sample is a small, realistic download from one of the platforms described in
resources/profiles/, with a handful of deliberate problems so the app has rows to show
in red. Each deliberate problem is marked with a ``# PROBLEM`` comment below and listed
in resources/samples/README.md (row numbers as Excel shows them, header = row 1).

The output is deterministic: fixed data, fixed document properties and fixed zip entry
timestamps, so running the script twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"

# Fixed timestamps so the files are byte-stable between runs.
FIXED_TIME = dt.datetime(2024, 1, 15, 9, 0, 0)
ZIP_TIME = (2024, 1, 15, 9, 0, 0)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
GUIDANCE_FONT = Font(italic=True, color="FF808080")
DATE_FORMAT = "yyyy-mm-dd"


# --------------------------------------------------------------------------------------
# Atlas: "Download User Data" (row 1 titles, row 2 guidance, users from row 3)
# --------------------------------------------------------------------------------------

ATLAS_HEADERS = [
    "User ID",
    "Username",
    "First name",
    "Last name",
    "Email",
    "Department",
    "Job title",
    "Manager email",
    "Language",
    "Status",
    "Hire date",
]

ATLAS_GUIDANCE = [
    "Do not edit",
    "Required, unique",
    "Required",
    "Required",
    "Required, unique",
    "Optional",
    "Optional",
    "Email address of the manager",
    "nl, en, de or fr",
    "Active or Inactive",
    "YYYY-MM-DD",
]

ATLAS_WIDTHS = [18, 16, 14, 16, 34, 18, 26, 34, 10, 10, 12]

CEO = "anna.bakker@atlas-demo.com"
SALES = "daan.visser@atlas-demo.com"
MARKETING = "emma.smit@atlas-demo.com"
FINANCE = "lars.meijer@atlas-demo.com"
HR = "fleur.deboer@atlas-demo.com"
IT = "thomas.mulder@atlas-demo.com"
SERVICE = "noor.degroot@atlas-demo.com"
OPERATIONS = "bram.bos@atlas-demo.com"


def d(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day)


# User ID, Username, First name, Last name, Email, Department, Job title,
# Manager email, Language, Status, Hire date.  Excel row = list index + 3.
# The first 12 users (rows 3-14) are also written to atlas-users-semicolon.csv in
# Windows-1252, so they must hold only characters cp1252 can encode.
ATLAS_USERS: list[tuple] = [
    # row 3
    (
        "000101",
        "abakker",
        "Anna",
        "Bakker",
        CEO,
        "Management",
        "Managing Director",
        "",
        "nl",
        "Active",
        d(2012, 3, 1),
    ),
    # row 4 -- PROBLEM: Email has no "@" ("jan.devries.example.com").
    (
        "000102",
        "jdevries",
        "Jan",
        "de Vries",
        "jan.devries.example.com",
        "Sales",
        "Account Manager",
        SALES,
        "nl",
        "Active",
        d(2016, 9, 12),
    ),
    # row 5 -- PROBLEM: First name ends in a non-breaking space ("Sophie\u00a0").
    (
        "000103",
        "sjanssen",
        "Sophie\u00a0",
        "Janssen",
        "sophie.janssen@atlas-demo.com",
        "Marketing",
        "Content Marketeer",
        MARKETING,
        "nl",
        "Active",
        d(2019, 2, 4),
    ),
    # row 6
    (
        "000104",
        "zmuller",
        "Zoë",
        "Müller",
        "zoe.muller@atlas-demo.com",
        "Finance",
        "Financial Controller",
        FINANCE,
        "de",
        "Active",
        d(2018, 6, 18),
    ),
    # row 7
    (
        "000105",
        "dvisser",
        "Daan",
        "Visser",
        SALES,
        "Sales",
        "Sales Director",
        CEO,
        "nl",
        "Active",
        d(2014, 1, 6),
    ),
    # row 8
    (
        "000106",
        "esmit",
        "Emma",
        "Smit",
        MARKETING,
        "Marketing",
        "Head of Marketing",
        CEO,
        "nl",
        "Active",
        d(2015, 4, 20),
    ),
    # row 9
    (
        "000107",
        "lmeijer",
        "Lars",
        "Meijer",
        FINANCE,
        "Finance",
        "CFO",
        CEO,
        "nl",
        "Active",
        d(2013, 11, 1),
    ),
    # row 10
    (
        "000108",
        "fdeboer",
        "Fleur",
        "de Boer",
        HR,
        "Human Resources",
        "HR Manager",
        CEO,
        "nl",
        "Active",
        d(2017, 8, 28),
    ),
    # row 11 -- User ID stored as a number cell (valid, but must survive unchanged).
    (
        123456789012345,
        "tmulder",
        "Thomas",
        "Mulder",
        IT,
        "IT",
        "IT Manager",
        CEO,
        "en",
        "Active",
        d(2016, 2, 15),
    ),
    # row 12
    (
        "000110",
        "ndegroot",
        "Noor",
        "de Groot",
        SERVICE,
        "Customer Service",
        "Customer Service Manager",
        CEO,
        "nl",
        "Active",
        d(2018, 10, 1),
    ),
    # row 13
    (
        "000111",
        "bbos",
        "Bram",
        "Bos",
        OPERATIONS,
        "Operations",
        "Operations Manager",
        CEO,
        "nl",
        "Active",
        d(2015, 5, 11),
    ),
    # row 14
    (
        "000112",
        "jvos",
        "Julia",
        "Vos",
        "julia.vos@atlas-demo.com",
        "Sales",
        "Inside Sales Representative",
        SALES,
        "nl",
        "Inactive",
        d(2020, 3, 2),
    ),
    # row 15
    (
        "000113",
        "lnowak",
        "Łukasz",
        "Nowak",
        "lukasz.nowak@atlas-demo.com",
        "IT",
        "Software Developer",
        IT,
        "en",
        "Active",
        d(2021, 7, 5),
    ),
    # row 16
    (
        "000114",
        "speters",
        "Sanne",
        "Peters",
        "sanne.peters@atlas-demo.com",
        "Customer Service",
        "Support Agent",
        SERVICE,
        "nl",
        "Active",
        d(2022, 1, 10),
    ),
    # row 17 -- PROBLEM: Status "Actve" (typo for "Active").
    (
        "000115",
        "rhendriks",
        "Ruben",
        "Hendriks",
        "ruben.hendriks@atlas-demo.com",
        "Operations",
        "Logistics Planner",
        OPERATIONS,
        "nl",
        "Actve",
        d(2019, 9, 16),
    ),
    # row 18
    (
        "000116",
        "lvanleeuwen",
        "Lotte",
        "van Leeuwen",
        "lotte.vanleeuwen@atlas-demo.com",
        "Human Resources",
        "Recruiter",
        HR,
        "nl",
        "Active",
        d(2021, 4, 1),
    ),
    # row 19
    (
        "000117",
        "pdubois",
        "Pierre",
        "Dubois",
        "pierre.dubois@atlas-demo.com",
        "Sales",
        "Account Manager France",
        SALES,
        "fr",
        "Active",
        d(2017, 3, 13),
    ),
    # row 20
    (
        "000118",
        "claurent",
        "Camille",
        "Laurent",
        "camille.laurent@atlas-demo.com",
        "Marketing",
        "Marketing Specialist",
        MARKETING,
        "fr",
        "Active",
        d(2020, 11, 2),
    ),
    # row 21
    (
        "000119",
        "jschmidt",
        "Jonas",
        "Schmidt",
        "jonas.schmidt@atlas-demo.com",
        "Sales",
        "Account Manager DACH",
        SALES,
        "de",
        "Active",
        d(2018, 1, 8),
    ),
    # row 22
    (
        "000120",
        "lschneider",
        "Lena",
        "Schneider",
        "lena.schneider@atlas-demo.com",
        "Finance",
        "Accountant",
        FINANCE,
        "de",
        "Active",
        d(2022, 5, 16),
    ),
    # row 23
    (
        "000121",
        "myilmaz",
        "Mehmet",
        "Yılmaz",
        "mehmet.yilmaz@atlas-demo.com",
        "Operations",
        "Warehouse Supervisor",
        OPERATIONS,
        "nl",
        "Active",
        d(2016, 6, 6),
    ),
    # row 24
    (
        "000122",
        "felamrani",
        "Fatima",
        "El Amrani",
        "fatima.elamrani@atlas-demo.com",
        "Customer Service",
        "Support Agent",
        SERVICE,
        "nl",
        "Active",
        d(2023, 2, 1),
    ),
    # row 25 -- PROBLEM: Last name is blank.
    (
        "000123",
        "psharma",
        "Priya",
        "",
        "priya.sharma@atlas-demo.com",
        "IT",
        "Data Analyst",
        IT,
        "en",
        "Active",
        d(2023, 9, 4),
    ),
    # row 26
    (
        "000124",
        "sjacobs",
        "Sem",
        "Jacobs",
        "sem.jacobs@atlas-demo.com",
        "IT",
        "System Administrator",
        IT,
        "nl",
        "Active",
        d(2019, 5, 20),
    ),
    # row 27
    (
        "000125",
        "ivandijk",
        "Iris",
        "van Dijk",
        "iris.vandijk@atlas-demo.com",
        "Finance",
        "Payroll Administrator",
        FINANCE,
        "nl",
        "Inactive",
        d(2017, 10, 9),
    ),
    # row 28 -- first of two users sharing one email (see row 29).
    (
        "000126",
        "mdejong",
        "Mark",
        "de Jong",
        "m.dejong@atlas-demo.com",
        "Sales",
        "Key Account Manager",
        SALES,
        "nl",
        "Active",
        d(2015, 8, 24),
    ),
    # row 29 -- PROBLEM: Email "m.dejong@atlas-demo.com" already used by Mark de Jong (row 28).
    (
        "000127",
        "maidejong",
        "Maaike",
        "de Jong",
        "m.dejong@atlas-demo.com",
        "Human Resources",
        "HR Advisor",
        HR,
        "nl",
        "Active",
        d(2024, 1, 8),
    ),
    # row 30
    (
        "000128",
        "obrown",
        "Oliver",
        "Brown",
        "oliver.brown@atlas-demo.com",
        "IT",
        "DevOps Engineer",
        IT,
        "en",
        "Active",
        d(2022, 9, 12),
    ),
    # row 31
    (
        "000129",
        "cwilson",
        "Charlotte",
        "Wilson",
        "charlotte.wilson@atlas-demo.com",
        "Marketing",
        "Brand Manager",
        MARKETING,
        "en",
        "Active",
        d(2021, 10, 18),
    ),
    # row 32
    (
        "000130",
        "hclaes",
        "Hugo",
        "Claes",
        "hugo.claes@atlas-demo.com",
        "Sales",
        "Account Manager Belgium",
        SALES,
        "nl",
        "Active",
        d(2020, 6, 1),
    ),
    # row 33
    (
        "000131",
        "ewouters",
        "Elise",
        "Wouters",
        "elise.wouters@atlas-demo.com",
        "Customer Service",
        "Team Lead Support",
        SERVICE,
        "fr",
        "Active",
        d(2018, 4, 3),
    ),
    # row 34
    (
        "000132",
        "mrossi",
        "Matteo",
        "Rossi",
        "matteo.rossi@atlas-demo.com",
        "IT",
        "Software Developer",
        IT,
        "en",
        "Active",
        d(2023, 3, 20),
    ),
    # row 35
    (
        "000133",
        "gbianchi",
        "Giulia",
        "Bianchi",
        "giulia.bianchi@atlas-demo.com",
        "Marketing",
        "Online Marketeer",
        MARKETING,
        "en",
        "Inactive",
        d(2019, 12, 2),
    ),
    # row 36
    (
        "000134",
        "agarcia",
        "Ana",
        "García",
        "ana.garcia@atlas-demo.com",
        "Operations",
        "Procurement Officer",
        OPERATIONS,
        "en",
        "Active",
        d(2021, 2, 15),
    ),
    # row 37
    (
        "000135",
        "sandersson",
        "Sven",
        "Andersson",
        "sven.andersson@atlas-demo.com",
        "Operations",
        "Supply Chain Analyst",
        OPERATIONS,
        "en",
        "Active",
        d(2022, 11, 7),
    ),
    # row 38
    (
        "000136",
        "ihansen",
        "Ingrid",
        "Hansen",
        "ingrid.hansen@atlas-demo.com",
        "Finance",
        "Credit Controller",
        FINANCE,
        "en",
        "Active",
        d(2020, 8, 17),
    ),
    # row 39 -- User ID stored as a number cell.
    (
        123456789012378,
        "tvermeulen",
        "Tim",
        "Vermeulen",
        "tim.vermeulen@atlas-demo.com",
        "Customer Service",
        "Support Agent",
        SERVICE,
        "nl",
        "Active",
        d(2023, 6, 12),
    ),
    # row 40
    (
        "000138",
        "ekowalczyk",
        "Ewa",
        "Kowalczyk",
        "ewa.kowalczyk@atlas-demo.com",
        "IT",
        "QA Engineer",
        IT,
        "en",
        "Active",
        d(2022, 4, 25),
    ),
    # row 41
    (
        "000139",
        "npetrovic",
        "Nina",
        "Petrović",
        "nina.petrovic@atlas-demo.com",
        "Human Resources",
        "Learning & Development Officer",
        HR,
        "en",
        "Active",
        d(2021, 9, 6),
    ),
    # row 42 -- User ID stored as a number cell.
    (
        123456789012391,
        "wvanderberg",
        "Willem",
        "van der Berg",
        "willem.vanderberg@atlas-demo.com",
        "Sales",
        "Sales Trainee",
        SALES,
        "nl",
        "Active",
        d(2024, 2, 1),
    ),
]

ATLAS_CSV_USERS = 12  # users (rows 3-14) in atlas-users-semicolon.csv


# --------------------------------------------------------------------------------------
# Rakoo: "Upload new & updated users" import template (row 1 header, users from row 2)
# --------------------------------------------------------------------------------------

RAKOO_HEADERS = [
    "Employee number*",
    "First name*",
    "Prefix",
    "Last name*",
    "Email address*",
    "Company*",
    "Department*",
    "Function(s)",
    "Cost center",
    "Send invitation",
    "Active",
    "Language*",
    "Teams",
    "Managers",
]

RAKOO_WIDTHS = [18, 14, 10, 16, 36, 18, 18, 30, 12, 15, 8, 11, 28, 44]

RAKOO_COMPANIES = ["Rakoo Demo BV", "Rakoo Demo GmbH"]
RAKOO_DEPARTMENTS = [
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "IT",
    "Customer Service",
    "Operations",
]
RAKOO_FUNCTIONS = [
    "Account Manager",
    "Team Lead",
    "Developer",
    "Recruiter",
    "Controller",
    "Support Agent",
    "Marketeer",
]
RAKOO_TEAMS = ["Team North", "Team South", "Team East", "Team West", "Onboarding", "Leadership"]

BV = "Rakoo Demo BV"
GMBH = "Rakoo Demo GmbH"
M_SALES = "marieke.dekker@rakoo-demo.nl"
M_SALES_DE = "stefan.weber@rakoo-demo.nl"
M_IT = "joost.vandam@rakoo-demo.nl"
M_HR = "ilse.verbeek@rakoo-demo.nl"
M_SERVICE = "karin.hoekstra@rakoo-demo.nl"
M_FINANCE = "ahmed.bouzid@rakoo-demo.nl"
M_MARKETING = "laura.kok@rakoo-demo.nl"
M_OPERATIONS = "rob.prins@rakoo-demo.nl"

# Employee number, First name, Prefix, Last name, Email address, Company, Department,
# Function(s), Cost center, Send invitation, Active, Language, Teams, Managers.
# Excel row = list index + 2.
RAKOO_USERS: list[tuple] = [
    # row 2
    (
        "200101",
        "Marieke",
        "",
        "Dekker",
        M_SALES,
        BV,
        "Sales",
        "Team Lead",
        "CC-100",
        "",
        "x",
        "Dutch",
        "Team North, Leadership",
        "",
    ),
    # row 3
    (
        "200102",
        "Joost",
        "van",
        "Dam",
        M_IT,
        BV,
        "IT",
        "Team Lead, Developer",
        "CC-500",
        "",
        "x",
        "Dutch",
        "Leadership",
        "",
    ),
    # row 4
    (
        "200103",
        "Ilse",
        "",
        "Verbeek",
        M_HR,
        BV,
        "Human Resources",
        "Team Lead, Recruiter",
        "CC-400",
        "",
        "x",
        "Dutch",
        "Leadership, Onboarding",
        "",
    ),
    # row 5
    (
        "200104",
        "Karin",
        "",
        "Hoekstra",
        M_SERVICE,
        BV,
        "Customer Service",
        "Team Lead",
        "CC-600",
        "",
        "x",
        "Dutch",
        "Leadership",
        "",
    ),
    # row 6 -- PROBLEM: Department "Salez" is not in the Department list (close to "Sales").
    (
        "200105",
        "Pieter",
        "van den",
        "Berg",
        "pieter.vandenberg@rakoo-demo.nl",
        BV,
        "Salez",
        "Account Manager",
        "CC-100",
        "",
        "x",
        "Dutch",
        "Team North",
        M_SALES,
    ),
    # row 7
    (
        "200106",
        "Stefan",
        "",
        "Weber",
        M_SALES_DE,
        GMBH,
        "Sales",
        "Team Lead",
        "CC-110",
        "",
        "x",
        "German",
        "Team East, Leadership",
        M_SALES,
    ),
    # row 8
    (
        "200107",
        "Ahmed",
        "",
        "Bouzid",
        M_FINANCE,
        BV,
        "Finance",
        "Controller, Team Lead",
        "CC-300",
        "",
        "x",
        "English",
        "Leadership",
        "",
    ),
    # row 9
    (
        "200108",
        "Laura",
        "",
        "Kok",
        M_MARKETING,
        BV,
        "Marketing",
        "Team Lead, Marketeer",
        "CC-200",
        "",
        "x",
        "Dutch",
        "Leadership",
        "",
    ),
    # row 10 -- PROBLEM: Teams "Team South, Team Nort": "Team Nort" is not in the Teams list.
    (
        "200109",
        "Anouk",
        "",
        "Willems",
        "anouk.willems@rakoo-demo.nl",
        BV,
        "Sales",
        "Account Manager",
        "CC-100",
        "",
        "x",
        "Dutch",
        "Team South, Team Nort",
        M_SALES,
    ),
    # row 11
    (
        "200110",
        "Rob",
        "",
        "Prins",
        M_OPERATIONS,
        BV,
        "Operations",
        "Team Lead",
        "CC-700",
        "",
        "x",
        "Dutch",
        "Leadership",
        "",
    ),
    # row 12
    (
        "200111",
        "Klaus",
        "",
        "Fischer",
        "klaus.fischer@rakoo-demo.nl",
        GMBH,
        "Sales",
        "Account Manager",
        "CC-110",
        "",
        "x",
        "German",
        "Team East",
        f"{M_SALES_DE}, {M_SALES}",
    ),
    # row 13
    (
        "200112",
        "Femke",
        "de",
        "Wit",
        "femke.dewit@rakoo-demo.nl",
        BV,
        "Customer Service",
        "Support Agent",
        "CC-600",
        "",
        "x",
        "Dutch",
        "Team West",
        M_SERVICE,
    ),
    # row 14 -- PROBLEM: Employee number (the key) is blank.
    (
        "",
        "Tess",
        "van",
        "Rijn",
        "tess.vanrijn@rakoo-demo.nl",
        BV,
        "Marketing",
        "Marketeer",
        "CC-200",
        "x",
        "x",
        "Dutch",
        "Onboarding",
        M_MARKETING,
    ),
    # row 15
    (
        "200114",
        "Jeroen",
        "",
        "Brouwer",
        "jeroen.brouwer@rakoo-demo.nl",
        BV,
        "IT",
        "Developer",
        "CC-500",
        "",
        "x",
        "Dutch",
        "Team North",
        M_IT,
    ),
    # row 16
    (
        "200115",
        "Sarah",
        "",
        "Thompson",
        "sarah.thompson@rakoo-demo.nl",
        BV,
        "IT",
        "Developer",
        "CC-500",
        "",
        "x",
        "English",
        "Team South",
        M_IT,
    ),
    # row 17
    (
        "200116",
        "Julia",
        "",
        "Becker",
        "julia.becker@rakoo-demo.nl",
        GMBH,
        "Human Resources",
        "Recruiter",
        "CC-410",
        "",
        "x",
        "German",
        "Onboarding",
        M_HR,
    ),
    # row 18
    (
        "200117",
        "Mohamed",
        "el",
        "Idrissi",
        "mohamed.elidrissi@rakoo-demo.nl",
        BV,
        "Customer Service",
        "Support Agent",
        "CC-600",
        "",
        "x",
        "Dutch",
        "Team West",
        M_SERVICE,
    ),
    # row 19 -- PROBLEM: Email address contains a space ("piet janssen@rakoo-demo.nl").
    (
        "200118",
        "Piet",
        "",
        "Janssen",
        "piet janssen@rakoo-demo.nl",
        BV,
        "Operations",
        "Team Lead",
        "CC-700",
        "",
        "x",
        "Dutch",
        "Team South",
        M_OPERATIONS,
    ),
    # row 20
    (
        "200119",
        "Chloé",
        "",
        "Martin",
        "chloe.martin@rakoo-demo.nl",
        BV,
        "Marketing",
        "Marketeer",
        "CC-200",
        "",
        "x",
        "French",
        "Team West",
        M_MARKETING,
    ),
    # row 21
    (
        "200120",
        "Bas",
        "",
        "Smeets",
        "bas.smeets@rakoo-demo.nl",
        BV,
        "Finance",
        "Controller",
        "CC-300",
        "",
        "",
        "Dutch",
        "",
        M_FINANCE,
    ),
    # row 22
    (
        "200121",
        "Lisa",
        "van der",
        "Linden",
        "lisa.vanderlinden@rakoo-demo.nl",
        BV,
        "Sales",
        "Account Manager, Team Lead",
        "CC-100",
        "",
        "x",
        "Dutch",
        "Team North, Team South",
        M_SALES,
    ),
    # row 23
    (
        "200122",
        "Tobias",
        "",
        "Wagner",
        "tobias.wagner@rakoo-demo.nl",
        GMBH,
        "IT",
        "Developer",
        "CC-510",
        "",
        "x",
        "German",
        "Team East",
        f"{M_IT}, {M_SALES_DE}",
    ),
    # row 24
    (
        "200123",
        "Yara",
        "",
        "Hermans",
        "yara.hermans@rakoo-demo.nl",
        BV,
        "Customer Service",
        "Support Agent",
        "CC-600",
        "x",
        "x",
        "Dutch",
        "Onboarding, Team West",
        M_SERVICE,
    ),
    # row 25 -- PROBLEM: Active "yes" (only "x" or blank is allowed).
    (
        "200124",
        "Daniël",
        "",
        "Koster",
        "daniel.koster@rakoo-demo.nl",
        BV,
        "Operations",
        "Support Agent",
        "CC-700",
        "",
        "yes",
        "Dutch",
        "Team North",
        M_OPERATIONS,
    ),
    # row 26
    (
        "200125",
        "Hannah",
        "",
        "Schulz",
        "hannah.schulz@rakoo-demo.nl",
        GMBH,
        "Marketing",
        "Marketeer",
        "CC-210",
        "",
        "x",
        "German",
        "Team East",
        M_MARKETING,
    ),
    # row 27
    (
        "200126",
        "Wouter",
        "ter",
        "Haar",
        "wouter.terhaar@rakoo-demo.nl",
        BV,
        "IT",
        "Developer",
        "CC-500",
        "",
        "x",
        "Dutch",
        "Team West",
        M_IT,
    ),
    # row 28
    (
        "200127",
        "Emily",
        "",
        "Clarke",
        "emily.clarke@rakoo-demo.nl",
        BV,
        "Human Resources",
        "Recruiter",
        "CC-400",
        "",
        "x",
        "English",
        "Onboarding",
        M_HR,
    ),
    # row 29
    (
        "200128",
        "Kees",
        "",
        "Mertens",
        "kees.mertens@rakoo-demo.nl",
        BV,
        "Finance",
        "Controller",
        "CC-300",
        "",
        "x",
        "Dutch",
        "Team South",
        M_FINANCE,
    ),
    # row 30
    (
        "200129",
        "Nadia",
        "",
        "Haddad",
        "nadia.haddad@rakoo-demo.nl",
        BV,
        "Customer Service",
        "Support Agent",
        "CC-600",
        "x",
        "x",
        "French",
        "Onboarding",
        M_SERVICE,
    ),
    # row 31
    (
        "200130",
        "Thijs",
        "van",
        "Beek",
        "thijs.vanbeek@rakoo-demo.nl",
        BV,
        "Sales",
        "Account Manager",
        "CC-100",
        "x",
        "x",
        "Dutch",
        "Onboarding, Team North",
        f"{M_SALES}, {M_HR}",
    ),
]


# --------------------------------------------------------------------------------------
# Udemy Business: Manage > Users > Export (CSV, header row 1, users from row 2)
# --------------------------------------------------------------------------------------

UDEMY_HEADERS = [
    "Email",
    "Name",
    "Surname",
    "Role",
    "Status",
    "Groups",
    "External ID",
    "LMS User ID",
    "License Type",
]

ENT = "Enterprise"

# Email, Name, Surname, Role, Status, Groups, External ID, LMS User ID, License Type.
# Row = list index + 2 (as Excel shows the CSV).
UDEMY_USERS: list[tuple] = [
    # row 2
    (
        "olivia.jansen@example.com",
        "Olivia",
        "Jansen",
        "Admin",
        "Active",
        "Leadership",
        "E-1001",
        "LMS-50001",
        ENT,
    ),
    # row 3
    (
        "lucas.bakker@example.com",
        "Lucas",
        "Bakker",
        "Group Admin",
        "Active",
        "Sales, EMEA",
        "E-1002",
        "LMS-50002",
        ENT,
    ),
    # row 4
    (
        "sophia.wagner@example.com",
        "Sophia",
        "Wagner",
        "Learner",
        "Active",
        "Sales, EMEA",
        "E-1003",
        "LMS-50003",
        ENT,
    ),
    # row 5
    (
        "noah.peeters@example.com",
        "Noah",
        "Peeters",
        "Learner",
        "Active",
        "Engineering",
        "E-1004",
        "LMS-50004",
        ENT,
    ),
    # row 6
    (
        "mila.dubois@example.com",
        "Mila",
        "Dubois",
        "Learner",
        "Invited",
        "Marketing, EMEA",
        "E-1005",
        "",
        "",
    ),
    # row 7 -- first user with External ID "E-1006" (see row 20).
    (
        "finn.hofmann@example.com",
        "Finn",
        "Hofmann",
        "Learner",
        "Active",
        "Engineering",
        "E-1006",
        "LMS-50006",
        ENT,
    ),
    # row 8
    (
        "eva.vandam@example.com",
        "Eva",
        "van Dam",
        "Group Admin",
        "Active",
        "Engineering",
        "E-1007",
        "LMS-50007",
        ENT,
    ),
    # row 9 -- PROBLEM: Email "maria@@example.com" has two "@".
    (
        "maria@@example.com",
        "Maria",
        "García",
        "Learner",
        "Invited",
        "Customer Success",
        "E-1008",
        "",
        "",
    ),
    # row 10 -- invited by hand: blank External ID (allowed).
    ("liam.oconnor@example.com", "Liam", "O'Connor", "Learner", "Invited", "", "", "", ""),
    # row 11
    (
        "julia.kowalski@example.com",
        "Julia",
        "Kowalski",
        "Learner",
        "Active",
        "Finance, EMEA",
        "E-1010",
        "LMS-50010",
        ENT,
    ),
    # row 12
    (
        "max.schneider@example.com",
        "Max",
        "Schneider",
        "Learner",
        "Deactivated",
        "Sales, DACH",
        "E-1011",
        "LMS-50011",
        "",
    ),
    # row 13
    (
        "isabel.santos@example.com",
        "Isabel",
        "Santos",
        "Learner",
        "Active",
        "Customer Success",
        "E-1012",
        "LMS-50012",
        ENT,
    ),
    # row 14 -- PROBLEM: Surname is blank.
    (
        "ravi.patel@example.com",
        "Ravi",
        "",
        "Learner",
        "Active",
        "Engineering",
        "E-1013",
        "LMS-50013",
        ENT,
    ),
    # row 15
    (
        "sara.lindqvist@example.com",
        "Sara",
        "Lindqvist",
        "Learner",
        "Active",
        "Marketing, EMEA",
        "E-1014",
        "LMS-50014",
        ENT,
    ),
    # row 16 -- blank External ID (allowed).
    (
        "tom.evans@example.com",
        "Tom",
        "Evans",
        "Learner",
        "Active",
        "Sales, UK",
        "",
        "LMS-50015",
        ENT,
    ),
    # row 17
    (
        "lea.moreau@example.com",
        "Léa",
        "Moreau",
        "Learner",
        "Active",
        "Customer Success",
        "E-1016",
        "LMS-50016",
        ENT,
    ),
    # row 18
    (
        "jonas.berg@example.com",
        "Jonas",
        "Berg",
        "Admin",
        "Active",
        "Leadership, IT",
        "E-1017",
        "LMS-50017",
        ENT,
    ),
    # row 19
    (
        "anna.novak@example.com",
        "Anna",
        "Novák",
        "Learner",
        "Deactivated",
        "Finance",
        "E-1018",
        "LMS-50018",
        "",
    ),
    # row 20 -- PROBLEM: External ID "E-1006" is already used by Finn Hofmann (row 7).
    (
        "daan.mulder@example.com",
        "Daan",
        "Mulder",
        "Learner",
        "Active",
        "Engineering",
        "E-1006",
        "LMS-50019",
        ENT,
    ),
    # row 21
    (
        "chiara.ferrari@example.com",
        "Chiara",
        "Ferrari",
        "Learner",
        "Active",
        "Marketing, EMEA",
        "E-1020",
        "LMS-50020",
        ENT,
    ),
    # row 22 -- blank External ID (allowed).
    ("ben.fischer@example.com", "Ben", "Fischer", "Learner", "Invited", "Sales, DACH", "", "", ""),
    # row 23
    (
        "zoe.vermeer@example.com",
        "Zoë",
        "Vermeer",
        "Group Admin",
        "Active",
        "Customer Success",
        "E-1022",
        "LMS-50022",
        ENT,
    ),
    # row 24
    (
        "henrik.larsen@example.com",
        "Henrik",
        "Larsen",
        "Learner",
        "Active",
        "Engineering",
        "E-1023",
        "LMS-50023",
        ENT,
    ),
    # row 25
    (
        "amira.haddad@example.com",
        "Amira",
        "Haddad",
        "Learner",
        "Active",
        "Finance, EMEA",
        "E-1024",
        "LMS-50024",
        ENT,
    ),
    # row 26
    (
        "pablo.ruiz@example.com",
        "Pablo",
        "Ruiz",
        "Learner",
        "Active",
        "Sales, EMEA",
        "E-1025",
        "LMS-50025",
        ENT,
    ),
]


# --------------------------------------------------------------------------------------
# SCIM 2.0: one column per User attribute (header row 1, users from row 2). All valid.
# --------------------------------------------------------------------------------------

SCIM_HEADERS = [
    "id",
    "userName",
    "givenName",
    "familyName",
    "email",
    "active",
    "preferredLanguage",
    "externalId",
    "employeeNumber",
    "department",
    "costCenter",
    "manager",
]

# Fixed namespace: the ids look like server-issued UUIDs but are the same every run.
SCIM_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-4c1e-9a55-0d2f8e7b9c10")


def scim_id(user_name: str) -> str:
    return str(uuid.uuid5(SCIM_NAMESPACE, user_name))


# userName (also the email), givenName, familyName, active, preferredLanguage,
# externalId, employeeNumber, department, costCenter, manager's userName.
SCIM_USERS: list[tuple] = [
    (
        "hanna.devos@example.com",
        "Hanna",
        "De Vos",
        "true",
        "nl-NL",
        "E-3001",
        "3001",
        "Management",
        "CC-1000",
        "",
    ),
    (
        "martin.keller@example.com",
        "Martin",
        "Keller",
        "true",
        "de-DE",
        "E-3002",
        "3002",
        "Engineering",
        "CC-2000",
        "hanna.devos@example.com",
    ),
    (
        "claire.bernard@example.com",
        "Claire",
        "Bernard",
        "true",
        "fr-FR",
        "E-3003",
        "3003",
        "Sales",
        "CC-3000",
        "hanna.devos@example.com",
    ),
    (
        "james.walker@example.com",
        "James",
        "Walker",
        "true",
        "en-GB",
        "E-3004",
        "3004",
        "Engineering",
        "CC-2000",
        "martin.keller@example.com",
    ),
    (
        "fenna.postma@example.com",
        "Fenna",
        "Postma",
        "true",
        "nl-NL",
        "E-3005",
        "3005",
        "Engineering",
        "CC-2000",
        "martin.keller@example.com",
    ),
    (
        "lukas.bauer@example.com",
        "Lukas",
        "Bauer",
        "false",
        "de-DE",
        "E-3006",
        "3006",
        "Sales",
        "CC-3000",
        "claire.bernard@example.com",
    ),
    (
        "ines.costa@example.com",
        "Inês",
        "Costa",
        "true",
        "en-GB",
        "E-3007",
        "3007",
        "Sales",
        "CC-3000",
        "claire.bernard@example.com",
    ),
    (
        "milan.dejong@example.com",
        "Milan",
        "de Jong",
        "true",
        "nl-NL",
        "E-3008",
        "3008",
        "Finance",
        "CC-4000",
        "hanna.devos@example.com",
    ),
    (
        "amelie.roux@example.com",
        "Amélie",
        "Roux",
        "true",
        "fr-FR",
        "E-3009",
        "3009",
        "Finance",
        "CC-4000",
        "milan.dejong@example.com",
    ),
    (
        "oscar.nilsson@example.com",
        "Oscar",
        "Nilsson",
        "true",
        "en-GB",
        "E-3010",
        "3010",
        "Engineering",
        "CC-2000",
        "martin.keller@example.com",
    ),
]


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def save_stable(wb: Workbook, path: Path) -> None:
    """Save ``wb`` so that the same workbook always gives the same bytes.

    openpyxl's ``Workbook.save`` stamps docProps/core.xml with the current time and the
    zip entries with the local time, so the archive is written here with a fixed
    "modified" property and then repacked with fixed entry timestamps.
    """
    wb.properties.creator = "User Editor samples"
    wb.properties.lastModifiedBy = "User Editor samples"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()

    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(out.getvalue())


def set_widths(ws, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def style_header(ws, count: int) -> None:
    for col in range(1, count + 1):
        cell = ws.cell(row=1, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def write_atlas_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Users"
    ws.append(ATLAS_HEADERS)
    ws.append(ATLAS_GUIDANCE)
    style_header(ws, len(ATLAS_HEADERS))
    for col in range(1, len(ATLAS_GUIDANCE) + 1):
        ws.cell(row=2, column=col).font = GUIDANCE_FONT
    for user in ATLAS_USERS:
        ws.append([value if value != "" else None for value in user])
        row = ws.max_row
        user_id = ws.cell(row=row, column=1)
        if isinstance(user_id.value, int):
            user_id.number_format = "0"  # show all 15 digits, not 1.23457E+14
        ws.cell(row=row, column=11).number_format = DATE_FORMAT
    set_widths(ws, ATLAS_WIDTHS)
    ws.freeze_panes = "A3"
    save_stable(wb, path)


def write_rakoo_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Users"
    ws.append(RAKOO_HEADERS)
    style_header(ws, len(RAKOO_HEADERS))
    for user in RAKOO_USERS:
        ws.append([value if value != "" else None for value in user])
    set_widths(ws, RAKOO_WIDTHS)
    ws.freeze_panes = "A2"

    lists = wb.create_sheet("Lists")
    columns = [
        ("Company", RAKOO_COMPANIES),
        ("Department", RAKOO_DEPARTMENTS),
        ("Functions", RAKOO_FUNCTIONS),
        ("Teams", RAKOO_TEAMS),
    ]
    for col, (title, values) in enumerate(columns, start=1):
        lists.cell(row=1, column=col, value=title)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=col, value=value)
    style_header(lists, len(columns))
    set_widths(lists, [20, 20, 20, 16])

    def list_range(col: int, values: list[str]) -> str:
        letter = get_column_letter(col)
        # Shown in Excel as "=Lists!$A$2:$A$3"; the file itself stores formulas without "=".
        return f"Lists!${letter}$2:${letter}${len(values) + 1}"

    last = 1000  # the template's drop-downs reach well past the data
    validations = [
        (list_range(1, RAKOO_COMPANIES), "F"),  # Company*
        (list_range(2, RAKOO_DEPARTMENTS), "G"),  # Department*
        ('"x"', "J"),  # Send invitation
        ('"x"', "K"),  # Active
        ('"Dutch,English,German,French"', "L"),  # Language*
    ]
    for formula, letter in validations:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.error = "Choose a value from the list."
        dv.errorTitle = "Invalid value"
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    save_stable(wb, path)


def write_csv(path: Path, rows: list[list], *, encoding: str, delimiter: str, newline: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL
    )
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))  # strict: fails on any Ł in cp1252


def atlas_csv_value(value: object) -> str:
    """A cell as Excel writes it to CSV: its displayed text."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def write_atlas_csv(path: Path) -> None:
    rows = [ATLAS_HEADERS, ATLAS_GUIDANCE]
    rows += [[atlas_csv_value(v) for v in user] for user in ATLAS_USERS[:ATLAS_CSV_USERS]]
    write_csv(path, rows, encoding="cp1252", delimiter=";", newline="\r\n")


def write_udemy_csv(path: Path) -> None:
    rows = [UDEMY_HEADERS, *[list(user) for user in UDEMY_USERS]]
    write_csv(path, rows, encoding="utf-8-sig", delimiter=",", newline="\r\n")


def write_scim_csv(path: Path) -> None:
    rows: list[list] = [SCIM_HEADERS]
    for (
        user_name,
        given,
        family,
        active,
        language,
        external_id,
        employee_number,
        department,
        cost_center,
        manager,
    ) in SCIM_USERS:
        rows.append(
            [
                scim_id(user_name),
                user_name,
                given,
                family,
                user_name,
                active,
                language,
                external_id,
                employee_number,
                department,
                cost_center,
                scim_id(manager) if manager else "",
            ]
        )
    write_csv(path, rows, encoding="utf-8", delimiter=",", newline="\n")


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    write_atlas_xlsx(SAMPLES / "atlas-users.xlsx")
    write_rakoo_xlsx(SAMPLES / "rakoo-template.xlsx")
    write_udemy_csv(SAMPLES / "udemy-users.csv")
    write_atlas_csv(SAMPLES / "atlas-users-semicolon.csv")
    write_scim_csv(SAMPLES / "scim-users.csv")
    for path in sorted(SAMPLES.iterdir()):
        print(f"{path.relative_to(SAMPLES.parent.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
